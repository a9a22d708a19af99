// Parsing of the human-written option values (sizes, durations; addresses are in
// listen-address.ts), each
// failing with a sentence that says what was expected.

const sizeUnits: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? sizeUnits[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`"${text}" is not a size; write it like 50GB, 512MiB or 1000000000.`);
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes <= 0) throw new Error(`The size "${text}" must be larger than zero.`);
  return bytes;
}

/** `--min-free`: a size like --max-size's, or 0 (in any unit) for no free-space floor. */
export function parseFloor(text: string): number {
  const zero = /^\s*0+(?:\.0+)?\s*([a-zA-Z]*)\s*$/.exec(text);
  if (zero && sizeUnits[zero[1]!.toLowerCase()] !== undefined) return 0;
  return parseSize(text);
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, '': 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds from "60s", "5m", "1h", "500ms" or a plain number of seconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|)\s*$/.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration; write it like 60s, 5m or 1h.`);
  return Math.round(Number(match[1]) * durationUnits[match[2]!]!);
}

/** `--registry NAME=URL`: a registry to add, or a built-in one to point at another upstream. */
export function parseRegistryFlag(text: string): { name: string; upstream: string } {
  const match = /^([^=\s]+)=(\S+)$/.exec(text);
  if (!match) throw new Error(`"${text.slice(0, 200)}" is not a registry; write it like --registry ghcr.io=https://ghcr.io or --registry docker.io=https://mirror.team.lan.`);
  return { name: match[1]!.toLowerCase(), upstream: match[2]! };
}
