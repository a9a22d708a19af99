// Debian's Chromium for the window's tests, started the one way that works on a closed build
// host: headless, no sandbox (root), and none of the background fetches the network refuses.
// Screenshots go to test/artifacts/ (gitignored).
import { access, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const artifacts = fileURLToPath(new URL('../../../test/artifacts/', import.meta.url));

/** Fails (never skips) where Chromium is missing, and makes sure screenshots have their folder. */
export async function requireChromium(): Promise<void> {
  await access(CHROMIUM);
  await mkdir(artifacts, { recursive: true });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
