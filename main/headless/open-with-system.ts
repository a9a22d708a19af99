// "Open cache folder" without Electron's shell: the desktop's own opener, when there is one.
import { spawn } from 'node:child_process';
import { CoreError } from '../core/core-error.js';

const openers: Partial<Record<NodeJS.Platform, string>> = { darwin: 'open', win32: 'explorer' };

export function openWithSystem(path: string): Promise<void> {
  const command = openers[process.platform] ?? 'xdg-open';
  return new Promise((resolve, reject) => {
    const child = spawn(command, [path], { stdio: 'ignore', detached: true });
    child.once('error', () => reject(new CoreError('unsupported', `No file manager could be started; open ${path} yourself.`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
