// When the chosen port is taken, the window and tray suggest the next one that is free; on a
// first run the app takes that one itself (first-run.ts).
import { createServer } from 'node:net';

export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

// Browsers and Node's fetch refuse these; a mirror there would be unusable from some tools.
const unsafePorts: ReadonlySet<number> = new Set([5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080]);

/** `reserved`: ports the host is about to take itself (the headless window's). */
export async function nextFreePort(host: string, taken: number, tries = 50, reserved: readonly number[] = []): Promise<number | undefined> {
  for (let port = taken + 1; port <= Math.min(65535, taken + tries); port++) {
    if (!unsafePorts.has(port) && !reserved.includes(port) && (await isPortFree(host, port))) return port;
  }
  return undefined;
}
