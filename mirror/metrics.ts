// Counters the engine keeps, and their Prometheus text rendering for /metrics.
import type { MirrorCounters, RequestEvent } from './public-types.js';

export function emptyCounters(): MirrorCounters {
  return { requests: 0, hits: 0, misses: 0, bytesFromCache: 0, bytesFromUpstream: 0, upstreamPulls: 0, pullsServed: 0 };
}

/** Counts one answered request. */
export function countRequest(counters: MirrorCounters, event: RequestEvent): void {
  counters.requests++;
  if (event.kind === 'manifest' || event.kind === 'blob') {
    if (event.cache === 'miss') counters.misses++;
    else if (event.cache !== 'none') counters.hits++;
    // Coalesced bytes count as cached: the upstream sent them once, for somebody else.
    if (event.kind === 'blob' && event.cache !== 'miss') counters.bytesFromCache += event.bytes;
  }
  if (event.kind === 'manifest' && event.method === 'GET' && event.status === 200) counters.pullsServed++;
}

const descriptions: Record<keyof MirrorCounters, string> = {
  requests: 'Registry API requests answered.',
  hits: 'Requests answered from the cache.',
  misses: 'Requests that needed the upstream.',
  bytesFromCache: 'Bytes sent to clients from the cache.',
  bytesFromUpstream: 'Bytes received from the upstream registry.',
  upstreamPulls: 'Manifest GETs sent upstream (what Docker Hub counts as pulls).',
  pullsServed: 'Manifest GETs answered to clients.',
};

export function renderPrometheus(
  counters: MirrorCounters,
  gauges: { cacheBytes: number; cacheBlobs: number; cacheMaxBytes: number | null; rateLimitRemaining: number | null; sendBuffersLentBytes: number },
): string {
  const lines: string[] = [];
  for (const key of Object.keys(descriptions) as (keyof MirrorCounters)[]) {
    const name = `dockmirror_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`;
    lines.push(`# HELP ${name} ${descriptions[key]}`, `# TYPE ${name} counter`, `${name} ${counters[key]}`);
  }
  const gauge = (name: string, help: string, value: number | null) => {
    if (value === null) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
  };
  gauge('dockmirror_cache_bytes', 'Bytes held in the cache.', gauges.cacheBytes);
  gauge('dockmirror_cache_blobs', 'Blobs held in the cache.', gauges.cacheBlobs);
  gauge('dockmirror_cache_max_bytes', 'Configured cache size cap.', gauges.cacheMaxBytes);
  // What clients that stopped reading can pin: bounded by the pool's budget, whatever their order.
  gauge('dockmirror_send_buffers_lent_bytes', 'Bytes of send buffers handed to sockets and not yet returned.', gauges.sendBuffersLentBytes);
  gauge('dockmirror_upstream_ratelimit_remaining', 'Pulls left in the upstream rate-limit window.', gauges.rateLimitRemaining);
  return `${lines.join('\n')}\n`;
}
