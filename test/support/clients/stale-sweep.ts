// Leftovers of a test process that was killed before its cleanup ran (CI timeout, SIGKILL): each
// daemon harness writes owner.json into its temp dir, and the next start removes the dirs whose
// owner is gone, killing the daemon recorded there only if its command line still names that dir
// (so a recycled pid is never hit).
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unmountUnder } from './process.js';

interface Owner {
  owner: number;
  daemon?: number;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records who owns a daemon temp dir. */
export async function writeOwner(dir: string, daemonPid: number | undefined): Promise<void> {
  const owner: Owner = { owner: process.pid, ...(daemonPid !== undefined ? { daemon: daemonPid } : {}) };
  await writeFile(join(dir, 'owner.json'), JSON.stringify(owner));
}

/** Removes temp dirs named `<prefix>…` in the temp dir whose owning test process has exited. */
export async function removeStaleDaemonDirs(prefix: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(tmpdir(), name);
    let owner: Owner;
    try {
      owner = JSON.parse(await readFile(join(dir, 'owner.json'), 'utf8')) as Owner;
    } catch {
      // No owner file yet: a start in progress, or not ours to judge.
      continue;
    }
    if (pidAlive(owner.owner)) continue;
    if (owner.daemon !== undefined && pidAlive(owner.daemon)) {
      const cmdline = await readFile(`/proc/${owner.daemon}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes(dir)) {
        process.kill(owner.daemon, 'SIGKILL');
        for (let i = 0; i < 50 && pidAlive(owner.daemon); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    removed.push(dir);
  }
  return removed;
}
