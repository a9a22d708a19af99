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
// With `sampleMemoryMs`, the most ArrayBuffer memory seen is printed on the way out.
let peakArrayBuffers = 0;
const sampler = sampleMemoryMs ? setInterval(() => (peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers)), sampleMemoryMs) : undefined;
process.once('SIGTERM', () => {
  clearInterval(sampler);
  if (sampler) process.stdout.write(`array buffers peak ${peakArrayBuffers}\n`);
  void engine.stop().then(() => process.exit(0));
});
