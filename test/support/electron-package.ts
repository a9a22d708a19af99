// A copy of the electron npm package in a temp folder, for `npm start` tests: Electron's real
// installer (install.js, its checksums, @electron/get through a node_modules link) without a
// binary, or with a stand-in binary, a shell script, where Electron's would be. The real
// node_modules/electron is never touched.
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface ElectronPackageCopy {
  dir: string;
  cleanup(): Promise<void>;
}

/** `standIn` is the body of a shell script installed as the Electron binary. */
export async function electronPackageCopy(standIn?: string): Promise<ElectronPackageCopy> {
  const dir = await mkdtemp(join(tmpdir(), 'dm-desktop-electron-'));
  const source = join(repoRoot, 'node_modules', 'electron');
  for (const file of ['package.json', 'install.js', 'index.js', 'checksums.json']) await copyFile(join(source, file), join(dir, file));
  await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  if (standIn !== undefined) {
    await mkdir(join(dir, 'dist'));
    await writeFile(join(dir, 'dist', 'electron'), `#!/bin/sh\n${standIn}\n`);
    await chmod(join(dir, 'dist', 'electron'), 0o755);
    await writeFile(join(dir, 'path.txt'), 'electron');
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A stand-in for ELECTRON_MIRROR: answers 404, or accepts and never answers; counts requests. */
export interface DownloadMirror {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function downloadMirror(behaviour: 'not-found' | 'hang'): Promise<DownloadMirror> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (behaviour === 'not-found') response.writeHead(404).end('no such release');
  });
  server.on('connection', (socket) => (sockets.add(socket), socket.on('close', () => sockets.delete(socket))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
