// The upstream's time limits, from the engine's httpTimeouts, with their defaults in one place.
import type { MirrorOptions } from '../public-types.js';
import type { MinimumProgress } from './progress-watch.js';

export interface UpstreamTimeouts {
  /** To connect (default 10 s). */
  connectMs?: number;
  /** Of silence, waiting for headers or between body bytes (default 30 s). */
  idleMs?: number;
  /** For a whole manifest, token or tag list exchange, retries included, and a blob's headers (default 30 s). */
  deadlineMs?: number;
  /** What a blob body must bring per window while its reader takes it (default 64 KiB per 30 s). */
  blobProgress?: MinimumProgress;
}

export interface UpstreamLimits {
  connectMs: number;
  idleMs: number;
  deadlineMs: number;
  blobProgress: MinimumProgress;
}

export function upstreamLimits(timeouts: UpstreamTimeouts = {}): UpstreamLimits {
  return {
    connectMs: timeouts.connectMs ?? 10_000,
    idleMs: timeouts.idleMs ?? 30_000,
    deadlineMs: timeouts.deadlineMs ?? 30_000,
    blobProgress: timeouts.blobProgress ?? { windowMs: 30_000, bytes: 64 * 1024 },
  };
}

export function upstreamTimeouts(timeouts: MirrorOptions['httpTimeouts']): UpstreamTimeouts {
  const window = timeouts?.upstreamProgressWindowMs;
  const bytes = timeouts?.upstreamProgressMinBytes;
  return {
    connectMs: timeouts?.upstreamConnectMs,
    idleMs: timeouts?.upstreamIdleMs,
    deadlineMs: timeouts?.upstreamDeadlineMs,
    blobProgress: window === undefined && bytes === undefined ? undefined : { windowMs: window ?? 30_000, bytes: bytes ?? 64 * 1024 },
  };
}
