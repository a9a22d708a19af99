// The engine's public entry: everything a host (CLI, desktop core, tests) needs.
import { Mirror } from './engine.js';
import type { MirrorEngine, MirrorOptions } from './public-types.js';

export type * from './public-types.js';
export { defaultTagTtlMs, defaultUpstream } from './engine.js';
export { defaultAllowlist } from './http/client-filter.js';

export function createMirror(options: MirrorOptions): MirrorEngine {
  return new Mirror(options);
}
