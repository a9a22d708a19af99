// Child-process plumbing shared by the client harnesses: run a command to completion, keep a
// bounded log tail of long-running daemons, stop them for sure, and insist on the real binaries.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';

export interface CommandResult {
  ok: boolean;
  /** Exit code, or null when a signal ended the command. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for failure messages. */
  output: string;
}

export interface RunOptions {
  /** Wall-clock limit for the command in ms; a hung client must not hang the test file. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command to completion. Never rejects for a non-zero exit: callers decide what failure means. */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        const spawnError = error !== null && typeof error.code === 'string' ? `${error.message}\n` : '';
        resolve({ ok: error === null, code, stdout, stderr, output: `${spawnError}${stdout}${stderr}` });
      },
    );
  });
}

/** Like runCommand, but a failure becomes an error that says what ran and what it printed. */
export async function runChecked(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const result = await runCommand(file, args, options);
  if (!result.ok) throw new Error(`${file} ${args.join(' ')} failed (exit ${String(result.code)}):\n${result.output.slice(-4000)}`);
  return result;
}

/** Throws a plain sentence when a binary the tests drive is not installed. */
export async function requireBinary(path: string): Promise<void> {
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new Error(`${path} is not installed or not executable; the client tests need it (see .ci/run).`);
  }
}

export interface Daemon {
  child: ChildProcess;
  /** The tail of what the daemon printed so far. */
  log(): string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns a long-running daemon whose output is kept (tail only) for failure messages. */
export function spawnDaemon(file: string, args: readonly string[]): Daemon {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-30_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  child.on('error', (error) => append(Buffer.from(`\nspawn failed: ${error.message}\n`)));
  let gone = false;
  // A test file that crashes or exits without its after-hooks must not leave daemons behind.
  const killOnExit = (): void => {
    if (!gone) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('close', () => {
      gone = true;
      process.off('exit', killOnExit);
      resolve();
    });
    child.once('error', () => {
      if (child.pid === undefined) {
        gone = true;
        resolve();
      }
    });
  });
  let stopping: Promise<void> | undefined;
  return {
    child,
    log: () => log,
    exited: () => gone,
    stop: (graceMs = 15_000) => {
      stopping ??= (async () => {
        if (gone) return;
        const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.kill('SIGTERM');
        await exitedPromise;
        clearTimeout(force);
      })();
      return stopping;
    },
  };
}

/** Polls `probe` until it returns true; fails early when the daemon died, with its log. */
export async function waitForDaemon(name: string, daemon: Daemon, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (daemon.exited()) throw new Error(`${name} exited before it was ready:\n${daemon.log().slice(-4000)}`);
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${daemon.log().slice(-4000)}`);
}

/**
 * Unmounts everything mounted at or below `dir`, deepest first. dockerd bind-mounts its data root
 * onto itself (for mount propagation) and leaves that mount behind when it dies early or is killed,
 * and a mount point cannot be removed.
 */
export async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile('/proc/self/mountinfo', 'utf8');
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => point !== undefined)
    // mountinfo escapes space, tab, newline and backslash in octal.
    .map((point) => point.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) await runCommand('/usr/bin/umount', ['--lazy', point]);
}
