// The `dockmirror` CLI as a real child process. It runs the compiled dist/main/cli/cli.js directly
// rather than build/dockmirror.js, which recompiles when sources look newer than dist/ and would
// turn a test into a build whenever someone edits a file while the suite runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const cliUrl = pathToFileURL(join(import.meta.dirname, '..', '..', 'main', 'cli', 'cli.js')).href;

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<CliExit>;
  kill(signal: NodeJS.Signals): void;
}

export interface CliOptions {
  env?: Record<string, string>;
  /** Written to stdin, which is then closed (for --password-stdin). */
  stdin?: string;
}

export function spawnCli(args: string[], options: CliOptions = {}): CliProcess {
  const script = `const { main } = await import(${JSON.stringify(cliUrl)}); process.exitCode = await main(process.argv.slice(1));`;
  // Credentials in the environment of the test runner must not leak into a mirror under test.
  const env = { ...process.env, DOCKERHUB_USERNAME: '', DOCKERHUB_TOKEN: '', ...options.env };
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdin!.end(options.stdin ?? '');
  const exited = new Promise<CliExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export interface ServingCli extends CliProcess {
  port: number;
  base: string;
}

/** Starts `dockmirror serve` on 127.0.0.1 and waits for its banner; the caller stops it. */
export async function startServeCli(args: string[], options: CliOptions = {}): Promise<ServingCli> {
  const cli = spawnCli(['serve', '--listen', '127.0.0.1:0', ...args], options);
  const deadline = Date.now() + 20_000;
  while (!cli.stdout().includes('registry-mirrors')) {
    if (cli.child.exitCode !== null || Date.now() > deadline) {
      cli.kill('SIGKILL');
      throw new Error(`dockmirror serve did not start:\n${cli.stdout()}\n${cli.stderr()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const port = Number(/127\.0\.0\.1:(\d+), caching/.exec(cli.stdout())?.[1]);
  if (!(port > 0)) throw new Error(`no port in the banner:\n${cli.stdout()}`);
  return { ...cli, port, base: `http://127.0.0.1:${port}` };
}

export interface EngineProcess extends ServingCli {
  pid: number;
}

/**
 * Starts test/support/engine-child.js with these engine options (JSON-safe ones only) and waits
 * until it listens. `nofile` runs it under that open-file limit (soft and hard), as a small
 * `ulimit -n` would. `nodeFlags` starts it with the engine's own flags (process-flags.ts), for
 * a test of what they change.
 */
export async function startEngineProcess(options: Record<string, unknown>, limits: { nofile?: number; nodeFlags?: readonly string[] } = {}): Promise<EngineProcess> {
  const entry = join(import.meta.dirname, 'engine-child.js');
  const node = [process.execPath, ...(limits.nodeFlags ?? []), entry, JSON.stringify(options)];
  const command = limits.nofile ? ['prlimit', `--nofile=${limits.nofile}:${limits.nofile}`, ...node] : node;
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DOCKERHUB_USERNAME: '', DOCKERHUB_TOKEN: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<CliExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const kill = (signal: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const deadline = Date.now() + 20_000;
  while (!/listening \d+/.test(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      kill('SIGKILL');
      throw new Error(`the engine child did not start:\n${stdout}\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const port = Number(/listening (\d+)/.exec(stdout)![1]);
  return { child, pid: child.pid!, port, base: `http://127.0.0.1:${port}`, stdout: () => stdout, stderr: () => stderr, exited, kill };
}
