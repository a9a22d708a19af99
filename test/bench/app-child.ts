// The app's side of the engine-process benchmark: what the headless host does with the engine
// (main/headless/run-headless.ts), without the window. `new EngineProcess()` with its defaults
// is the app's own path: a child_process.fork of main/engine-process/engine-child.js with the
// engine's V8 flags. Started by engine-process-scenario.ts; stops when told or when it goes away.
import { EngineProcess } from '../../main/engine-process/engine-process.js';
import type { AppChildConfig, AppChildMessage } from './engine-process-scenario.js';

function send(message: AppChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined || process.send === undefined) throw new Error('app-child needs a config argument and an IPC channel.');
  const config = JSON.parse(raw) as AppChildConfig;
  const engines = new EngineProcess();
  const mirror = engines.createEngine({ cacheDir: config.cacheDir, upstream: config.upstream, tagTtlMs: config.tagTtlMs });
  const { port } = await mirror.start({ host: '127.0.0.1', port: 0 });
  const enginePid = engines.pid;
  if (enginePid === undefined) throw new Error('The engine process serves but has no process id.');
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await mirror.stop();
    await engines.close();
    send({ type: 'stopped' });
    process.disconnect?.();
  };
  // A benchmark that dies must not leave a mirror running.
  process.on('disconnect', () => void stop());
  process.on('message', (message: unknown) => {
    if (typeof message === 'object' && message !== null && (message as { cmd?: unknown }).cmd === 'stop') void stop();
  });
  send({ type: 'ready', port, enginePid });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
