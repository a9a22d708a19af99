// The mirror engine alone in a child process, for tests that need options the CLI has no flag for
// (a short send timeout, connection caps) or must watch a process of its own (its fds, its death).
// Options come as JSON in argv[2]; it prints `listening <port>` and serves until SIGTERM. Its
// pino log goes to stderr, so a test can read what the engine logged.
import pino from 'pino';
import { createMirror, type MirrorOptions, type UpstreamCredentials } from '../../mirror/index.js';

// Docker Hub credentials come as plain `{ username, secret }` JSON, as the engine takes a provider.
const { upstreamCredentials, sampleMemoryMs, ...options } = JSON.parse(process.argv[2] ?? '{}') as MirrorOptions & { host?: string; upstreamCredentials?: UpstreamCredentials; sampleMemoryMs?: number };
const credentials = upstreamCredentials && { get: async () => upstreamCredentials };
const engine = createMirror({ ...options, ...(credentials ? { credentials } : {}), logger: pino({ level: 'warn' }, pino.destination(2)) });
const { port } = await engine.start({ host: options.host ?? '127.0.0.1', port: 0 });
process.stdout.write(`listening ${port}\n`);
// With `sampleMemoryMs`, the ArrayBuffer memory seen is printed on the way out: the most, and the
// mean of the samples above 1 MiB (while blobs moved).
const arrayBufferSamples: number[] = [];
const sampler = sampleMemoryMs ? setInterval(() => arrayBufferSamples.push(process.memoryUsage().arrayBuffers), sampleMemoryMs) : undefined;
process.once('SIGTERM', () => {
  clearInterval(sampler);
  if (sampler) {
    const busy = arrayBufferSamples.filter((bytes) => bytes > 1024 * 1024);
    const mean = busy.reduce((sum, bytes) => sum + bytes, 0) / Math.max(1, busy.length);
    process.stdout.write(`array buffers peak ${Math.max(0, ...arrayBufferSamples)} mean ${Math.round(mean)}\n`);
  }
  void engine.stop().then(() => process.exit(0));
});
