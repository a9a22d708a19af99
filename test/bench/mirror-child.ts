// Runs one Dockmirror engine in its own process for the benchmark and answers memory questions
// over IPC. Started by subjects.ts with fork(); exits when the parent says stop or goes away.
import { createMirror } from '../../mirror/index.js';
import { isParentMessage, type ChildConfig, type ChildMessage } from './child-protocol.js';

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined || process.send === undefined) throw new Error('mirror-child needs a config argument and an IPC channel.');
  const config = JSON.parse(raw) as ChildConfig;
  // Every bench client comes from 127.0.0.1, where a LAN's would come from as many hosts: the
  // per-address cap (64) would turn the 200-client load into a test of that cap instead.
  const engine = createMirror({
    cacheDir: config.cacheDir,
    upstream: config.upstream,
    tagTtlMs: config.tagTtlMs,
    minFreeBytes: 0,
    connectionLimits: { perClient: 1_000 },
  });
  // The split at the peak says where a peak went (V8's heap, Buffers, or native memory beside them).
  let peak = process.memoryUsage();
  const sample = (): NodeJS.MemoryUsage => {
    const now = process.memoryUsage();
    if (now.rss > peak.rss) peak = now;
    return now;
  };
  const sampler = setInterval(sample, config.sampleMs);
  const { port } = await engine.start({ host: '127.0.0.1', port: 0 });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(sampler);
    await engine.stop();
    send({ type: 'stopped' });
    process.disconnect?.();
  };
  // A parent that dies must not leave a mirror running.
  process.on('disconnect', () => void stop());
  process.on('message', async (message: unknown) => {
    if (!isParentMessage(message)) return;
    if (message.cmd === 'stop') {
      void stop();
      return;
    }
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc && gc) {
      // V8 sweeps dead ArrayBuffers concurrently after a collection, so right after one their
      // memory still counts; a second collection after a pause finds that sweep done.
      gc();
      await new Promise((resolve) => setTimeout(resolve, 300));
      gc();
    }
    const now = sample();
    send({ type: 'memory', rss: now.rss, peakRss: peak.rss, heapUsed: now.heapUsed, atPeak: { heapTotal: peak.heapTotal, heapUsed: peak.heapUsed, external: peak.external, arrayBuffers: peak.arrayBuffers } });
    if (message.resetPeak) peak = now;
  });
  send({ type: 'ready', port });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
  process.disconnect?.();
});
