// A LAN host in a network namespace plus a temp folder and the CLI mirrors a test file starts,
// all torn down after the file: the setup of every test that runs `dockmirror serve` where a
// LAN host reaches it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { spawnCli, type CliOptions, type CliProcess } from './cli-process.js';
import { createLanHost, type LanHost } from './clients/index.js';
import { requireBinary } from './clients/process.js';

export interface LanFixture {
  readonly lan: LanHost;
  readonly workDir: string;
  /** How many CLI processes the file started so far: a fresh name for each one's folders. */
  readonly spawned: number;
  /** Starts the CLI; it is killed after the file if still running. */
  spawn(args: string[], options?: CliOptions): CliProcess;
}

/** Registers the file's before/after hooks; `lan` and `workDir` exist once `before` has run. */
export function useLanFixture(tempPrefix: string): LanFixture {
  let workDir: string | undefined;
  let lan: LanHost | undefined;
  const clis: CliProcess[] = [];
  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), tempPrefix));
    // The LAN host's requests are made with curl inside its namespace.
    await requireBinary('/usr/bin/curl');
    lan = await createLanHost('198.18');
  });
  after(async () => {
    for (const cli of clis) cli.kill('SIGKILL');
    await lan?.destroy();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the LAN fixture is used before its before() hook ran');
    return value;
  };
  return {
    get lan() {
      return ready(lan);
    },
    get workDir() {
      return ready(workDir);
    },
    get spawned() {
      return clis.length;
    },
    spawn(args, options) {
      const cli = spawnCli(args, options);
      clis.push(cli);
      return cli;
    },
  };
}
