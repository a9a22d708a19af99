// The two mirrors under test, behind one shape: Dockmirror's engine in a child process, and
// distribution 2.8 in proxy mode. Each start() gets a fresh, empty cache; stop() removes it.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineNodeFlags } from '../../mirror/process-flags.js';
import { startRegistry } from '../support/registry.js';
import { nodeEnvTrusting } from '../support/test-ca.js';
import { isChildMessage, type ChildConfig, type ChildMessage, type MemoryReport, type ParentMessage } from './child-protocol.js';

export type SubjectName = 'dockmirror' | 'distribution';

export interface Subject {
  name: SubjectName;
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface DockmirrorSubject extends Subject {
  name: 'dockmirror';
  /** RSS now and the peak since the last reset (the reset happens after the answer). */
  memory(options?: { resetPeak?: boolean; gc?: boolean }): Promise<MemoryReport>;
}

export interface SubjectOptions {
  upstream: string;
  /** Dockmirror's tag TTL; distribution has none (it asks upstream on every tag request). */
  tagTtlMs?: number;
  /** Dockmirror's open-file limit (soft and hard), as `ulimit -n` sets it; default: inherited. */
  nofile?: number;
  /** A CA file the subject trusts for an https upstream, as a user with a private CA sets it up. */
  caFile?: string;
}

function nextMessage<T extends ChildMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`The mirror child did not send "${type}" within ${timeoutMs} ms.`)), timeoutMs);
    const onMessage = (message: unknown): void => {
      if (!isChildMessage(message)) return;
      if (message.type === 'failed') finish(new Error(`The mirror child failed: ${message.message}`));
      else if (message.type === type) finish(undefined, message as Extract<ChildMessage, { type: T }>);
    };
    const onExit = (): void => finish(new Error(`The mirror child exited while we waited for "${type}".`));
    function finish(error: Error | undefined, value?: Extract<ChildMessage, { type: T }>): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startDockmirror(options: SubjectOptions): Promise<DockmirrorSubject> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-bench-'));
  const config: ChildConfig = { cacheDir, upstream: options.upstream, tagTtlMs: options.tagTtlMs ?? 60_000, sampleMs: 50 };
  // --expose-gc lets "memory at start/end" be measured after a collection, so garbage does not
  // pass for growth.
  // BENCH_CHILD_NODE_ARGS adds flags for profiling the engine alone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  // The engine runs with the flags `dockmirror serve` gets from its bin.
  const nodeFlags = ['--expose-gc', ...engineNodeFlags, ...(process.env.BENCH_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  // Under prlimit the limit holds from the engine's first instruction, where its connection cap is read.
  const limited = options.nofile ? { execPath: '/usr/bin/prlimit', execArgv: [`--nofile=${options.nofile}:${options.nofile}`, process.execPath, ...nodeFlags] } : { execArgv: nodeFlags };
  const child = fork(new URL('./mirror-child.js', import.meta.url), [JSON.stringify(config)], {
    ...limited,
    env: nodeEnvTrusting(options.caFile),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const stop = async (): Promise<void> => {
    if (child.connected) {
      const bye: ParentMessage = { cmd: 'stop' };
      child.send(bye);
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(force);
    } else if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await rm(cacheDir, { recursive: true, force: true });
  };
  try {
    const ready = await nextMessage(child, 'ready', 20_000);
    return {
      name: 'dockmirror',
      url: `http://127.0.0.1:${ready.port}`,
      pid: child.pid ?? -1,
      stop,
      memory: async ({ resetPeak = false, gc = false } = {}) => {
        const answer = nextMessage(child, 'memory', 10_000);
        const ask: ParentMessage = { cmd: 'memory', resetPeak, gc };
        child.send(ask);
        return answer;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function startDistribution(options: SubjectOptions): Promise<Subject> {
  // Go reads its trusted roots from SSL_CERT_FILE instead of the system's when it is set.
  const env = options.caFile ? { SSL_CERT_FILE: options.caFile } : undefined;
  const registry = await startRegistry({ proxy: { remoteUrl: options.upstream }, logLevel: 'error', env });
  return { name: 'distribution', url: registry.url, pid: registry.process.pid ?? -1, stop: () => registry.stop() };
}

export function startSubject(name: SubjectName, options: SubjectOptions): Promise<Subject> {
  return name === 'dockmirror' ? startDockmirror(options) : startDistribution(options);
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc; 100 ticks per second). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * A process's main thread as the scheduler saw it (Linux schedstat, in ms): time on a CPU, and
 * time runnable but waiting for one. For Dockmirror that thread is the event loop every byte of
 * a cold pull passes through.
 */
export async function mainThreadSchedule(pid: number): Promise<{ ranMs: number; waitedMs: number }> {
  const [ranNs, waitedNs] = (await readFile(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')).trim().split(' ').map(Number);
  return { ranMs: (ranNs ?? NaN) / 1e6, waitedMs: (waitedNs ?? NaN) / 1e6 };
}

/** Open file descriptors of a process (Linux /proc). */
export async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}
