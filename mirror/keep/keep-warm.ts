// The keep-warm schedule: every kept image is refreshed every `everyMs` (and at once on "refresh
// now"), one image after another so the rate-limit budget and a 429 apply to the whole run. A 429
// pauses every refresh until its Retry-After. Each image's last refresh, next refresh and result
// are kept for the window. Timers are unref'd and started only by start(): nothing runs on
// construction.
import { RegistryError } from '../errors.js';
import type { KeepWarmSettings as KeepWarmOptions, KeptImageStatus } from '../public-types.js';
import type { RegistrySet } from '../registries/registry-set.js';
import { registryKey } from '../store/paths.js';
import { imageKey, type Pins } from './pins.js';
import type { KeepEntry } from './keep-list.js';
import { BudgetSpent, refreshImage, RunBudget, type RefreshParts } from './image-refresh.js';

export const defaultRefreshEveryMs = 6 * 3_600_000;
/** Without a Retry-After, a 429 pauses refreshes this long. */
const defaultPauseMs = 3_600_000;


export class KeepWarm {
  private readonly states = new Map<string, KeptImageStatus>();
  private readonly everyMs: number;
  private readonly share: number;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<KeptImageStatus[]> | null = null;

  constructor(
    private readonly options: KeepWarmOptions,
    private readonly registries: RegistrySet,
    private readonly parts: RefreshParts,
    pins: Pins,
    private readonly onRefreshed: (entry: KeepEntry, state: KeptImageStatus) => void = () => {},
  ) {
    this.everyMs = options.everyMs ?? defaultRefreshEveryMs;
    this.share = options.budgetShare ?? 0.5;
    for (const entry of options.images) {
      this.states.set(this.keyOf(entry), { image: `${entry.registry}/${entry.repository}:${entry.tag}`, platforms: entry.platforms, lastRefresh: null, nextRefresh: null, result: 'waiting', detail: null });
    }
    pins.setKept(options.images.map((entry) => this.keyOf(entry)));
  }

  /** Refreshes at once, then every `everyMs`. */
  start(): void {
    if (this.timer || this.options.images.length === 0) return;
    this.schedule(0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  status(): KeptImageStatus[] {
    return [...this.states.values()].map((state) => ({ ...state }));
  }

  /** "Refresh now": one run over every kept image; a run already going is joined, not doubled. */
  refreshNow(): Promise<KeptImageStatus[]> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      void this.refreshNow().finally(() => {
        if (this.timer) this.schedule(Math.max(this.everyMs, this.pausedUntil - this.parts.now()));
      });
    }, delayMs);
    this.timer.unref();
  }

  private async run(): Promise<KeptImageStatus[]> {
    const { now } = this.parts;
    const budgets = new Map<string, RunBudget>();
    let stopped: { result: KeptImageStatus['result']; detail: string } | null = null;
    for (const entry of this.options.images) {
      const state = this.states.get(this.keyOf(entry))!;
      if (!stopped && now() < this.pausedUntil) stopped = { result: 'paused', detail: `The upstream asked to wait; refreshes resume at ${new Date(this.pausedUntil).toISOString()}.` };
      if (stopped) {
        Object.assign(state, stopped, { nextRefresh: new Date(Math.max(this.pausedUntil, now() + this.everyMs)).toISOString() });
        continue;
      }
      const registry = this.registries.get(entry.registry);
      if (!registry || !registry.config.enabled) {
        this.finish(entry, state, 'failed', `${entry.registry} is not a registry this mirror serves.`);
        continue;
      }
      let budget = budgets.get(registry.name);
      if (!budget) budgets.set(registry.name, (budget = new RunBudget(() => registry.dockerHubRateLimit?.remaining ?? null, this.share)));
      try {
        const outcome = await refreshImage(registry, this.parts, entry, budget);
        const what = outcome.outcome === 'unchanged' ? 'unchanged (checked with a HEAD)' : `${outcome.outcome}: ${outcome.manifestsFetched} manifest(s) and ${outcome.blobsFetched} blob(s) fetched`;
        this.finish(entry, state, outcome.outcome, what);
      } catch (error) {
        if (error instanceof BudgetSpent) {
          stopped = { result: 'budget', detail: `Left for the next refresh: this run spent its share (${Math.round(this.share * 100)} %) of the pulls the upstream allows.` };
          Object.assign(state, stopped, { nextRefresh: new Date(now() + this.everyMs).toISOString() });
          continue;
        }
        if (error instanceof RegistryError && error.code === 'TOOMANYREQUESTS') {
          const seconds = Number(error.headers['retry-after']);
          this.pausedUntil = now() + (Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : defaultPauseMs);
          stopped = { result: 'paused', detail: `The upstream answered "too many requests"; refreshes resume at ${new Date(this.pausedUntil).toISOString()}.` };
          Object.assign(state, stopped, { lastRefresh: new Date(now()).toISOString(), nextRefresh: new Date(this.pausedUntil).toISOString() });
          continue;
        }
        this.finish(entry, state, 'failed', error instanceof Error ? error.message.slice(0, 300) : String(error));
      }
    }
    return this.status();
  }

  private finish(entry: KeepEntry, state: KeptImageStatus, result: KeptImageStatus['result'], detail: string): void {
    const now = this.parts.now();
    Object.assign(state, { result, detail, lastRefresh: new Date(now).toISOString(), nextRefresh: new Date(now + this.everyMs).toISOString() });
    this.onRefreshed(entry, state);
  }

  private keyOf(entry: KeepEntry): string {
    return imageKey(registryKey(entry.registry), entry.repository, entry.tag);
  }
}
