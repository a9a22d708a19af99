// The engine as the app runs it: an app process (app-child.ts) starts the engine through
// main/engine-process/ — a child_process.fork of the app's own entry file, with the engine's
// flags — and eight clients pull one cold 1 GiB blob through it. Both processes' peaks come from
// the kernel (VmHWM, reset just before the pull), so no spike falls between two samples.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { engineNodeFlags } from '../../mirror/process-flags.js';
import { pull } from './client.js';
import { blobUrl, layerOf, need, settledBlobBytes, type BenchContext } from './context.js';
import { MiB, mib, times, verdict, type Row } from './report.js';

export interface AppChildConfig {
  cacheDir: string;
  upstream: string;
  tagTtlMs: number;
}

export type AppChildMessage =
  | { type: 'ready'; port: number; enginePid: number }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

interface AppWithEngine {
  url: string;
  appPid: number;
  enginePid: number;
  stop(): Promise<void>;
}

const RSS_LIMIT = 100 * MiB;

/** RSS now and its high-water mark, in bytes, from /proc/<pid>/status (Linux). */
async function processMemory(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Sets the process's RSS high-water mark back to its RSS now (proc(5): clear_refs, value 5). */
function resetPeak(pid: number): Promise<void> {
  return writeFile(`/proc/${pid}/clear_refs`, '5');
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function ready(child: ChildProcess, timeoutMs: number): Promise<{ port: number; enginePid: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The app process did not start its engine within ${timeoutMs} ms.`)), timeoutMs);
    child.on('message', (message: AppChildMessage) => {
      if (message.type === 'ready') resolve(message);
      else if (message.type === 'failed') reject(new Error(`The app process failed: ${message.message}`));
      else return;
      clearTimeout(timer);
    });
    child.once('exit', () => (clearTimeout(timer), reject(new Error('The app process exited before its engine served.'))));
  });
}

async function startAppWithEngine(upstream: string): Promise<AppWithEngine> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'dockmirror-bench-app-'));
  const config: AppChildConfig = { cacheDir, upstream, tagTtlMs: 60_000 };
  // The app runs with the flags `npm start` gives the headless app; its engine gets its own.
  const child = fork(new URL('./app-child.js', import.meta.url), [JSON.stringify(config)], {
    execArgv: [...engineNodeFlags],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const stop = async (): Promise<void> => {
    if (child.connected) child.send({ cmd: 'stop' });
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited(child);
    clearTimeout(force);
    await rm(cacheDir, { recursive: true, force: true });
  };
  try {
    const { port, enginePid } = await ready(child, 30_000);
    return { url: `http://127.0.0.1:${port}`, appPid: child.pid ?? -1, enginePid, stop };
  } catch (error) {
    child.kill('SIGKILL');
    await stop();
    throw error;
  }
}

export async function engineProcessRss(ctx: BenchContext, clients = 8): Promise<Row[]> {
  const image = need(ctx.images.large, 'the large image');
  const layer = layerOf(image);
  const app = await startAppWithEngine(ctx.upstream.url);
  try {
    ctx.upstream.hub.resetStats();
    const idleEngine = await processMemory(app.enginePid);
    const idleApp = await processMemory(app.appPid);
    await Promise.all([resetPeak(app.enginePid), resetPeak(app.appPid)]);
    const agent = new Agent();
    let intact = 0;
    try {
      const results = await Promise.allSettled(Array.from({ length: clients }, () => pull(agent, blobUrl(app.url, image), { hash: true })));
      intact = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200 && r.value.digest === layer.digest).length;
    } finally {
      await agent.close();
    }
    const upstreamBytes = await settledBlobBytes(ctx, layer.digest);
    const engine = await processMemory(app.enginePid);
    const parent = await processMemory(app.appPid);
    ctx.log(`  engine pid ${app.enginePid}: idle ${mib(idleEngine.rss)}, peak ${mib(engine.peak)}; app pid ${app.appPid}: idle ${mib(idleApp.rss)}, peak ${mib(parent.peak)}; ${intact}/${clients} intact`);
    const scenario = `${clients} clients, cold ${mib(layer.size)}`;
    const row = (metric: string, dockmirror: string, goal: string, result: Row['verdict']): Row => ({ scenario, metric, dockmirror, distribution: '-', ratio: '-', goal, verdict: result });
    return [
      row('engine process (as the app forks it) peak RSS, kernel VmHWM', `${mib(engine.peak)} (idle ${mib(idleEngine.rss)})`, '< 100 MiB', verdict(engine.peak < RSS_LIMIT)),
      row('app process peak RSS beside it (no window)', `${mib(parent.peak)} (idle ${mib(idleApp.rss)})`, '-', 'INFO'),
      row('engine process: bodies intact / upstream bytes', `${intact}/${clients}, ${times(upstreamBytes / layer.size)}`, `${clients}/${clients}, 1.00×`, verdict(intact === clients && upstreamBytes <= layer.size)),
    ];
  } finally {
    await app.stop();
  }
}
