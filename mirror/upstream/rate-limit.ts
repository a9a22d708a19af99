// Docker Hub's pull-limit headers, read from every manifest response the upstream sends.
import type { RateLimitState } from '../public-types.js';

type HeaderValue = string | string[] | undefined;

/** `ratelimit-limit: 100;w=21600` → { value: 100, window: 21600 } */
function parseLimitHeader(value: HeaderValue): { value: number; window: number } | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  const match = /^\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?/.exec(text);
  if (!match) return null;
  return { value: Number(match[1]), window: match[2] ? Number(match[2]) : 0 };
}

export function readRateLimit(headers: Record<string, HeaderValue>, now: Date): RateLimitState | null {
  const limit = parseLimitHeader(headers['ratelimit-limit']);
  const remaining = parseLimitHeader(headers['ratelimit-remaining']);
  if (!limit || !remaining) return null;
  const source = headers['docker-ratelimit-source'];
  return {
    limit: limit.value,
    remaining: remaining.value,
    windowSeconds: remaining.window || limit.window,
    // Shown in the window; the upstream chooses it, so it is kept short.
    source: (Array.isArray(source) ? source[0] : source)?.slice(0, 100),
    observedAt: now.toISOString(),
  };
}
