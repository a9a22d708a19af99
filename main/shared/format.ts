// Figures the tray, the terminal and the window all show, computed once so they never disagree.
import type { MirrorCounters } from '../../mirror/public-types.js';

export { formatBytes } from '../../mirror/byte-size.js';

/** Pulls answered to clients that did not cost a Docker Hub pull. */
export function pullsSaved(counters: Pick<MirrorCounters, 'pullsServed' | 'upstreamPulls'>): number {
  return Math.max(0, counters.pullsServed - counters.upstreamPulls);
}
