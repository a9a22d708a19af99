// The messages between the benchmark and the mirror it runs in a child process. The engine runs
// apart so that its memory and file descriptors are its own, and so it gets a core of its own
// like distribution (also a separate process) does.

export interface ChildConfig {
  cacheDir: string;
  upstream: string;
  tagTtlMs: number;
  /** How often the child samples its RSS, in ms. */
  sampleMs: number;
}

export type ParentMessage = { cmd: 'memory'; resetPeak: boolean; gc: boolean } | { cmd: 'stop' };

export interface MemoryReport {
  type: 'memory';
  /** RSS now, in bytes (after a GC when one was asked for and is available). */
  rss: number;
  /** Highest RSS sampled since start or the last reset, in bytes. */
  peakRss: number;
  /** Bytes of live JavaScript objects (V8's heap used), after the GC when one was asked for. */
  heapUsed: number;
  /** V8's heap and the memory outside it (Buffers among it) when RSS peaked: what a peak consisted of. */
  atPeak: { heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}

export type ChildMessage =
  | { type: 'ready'; port: number }
  | MemoryReport
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

export function isParentMessage(value: unknown): value is ParentMessage {
  return typeof value === 'object' && value !== null && typeof (value as { cmd?: unknown }).cmd === 'string';
}
