// The keep-warm schedule: every kept image is refreshed every `everyMs`, or once a night inside a
// local-time window (schedule.ts), and at once on "refresh now" (all, or one image), one image
// after another so the rate-limit budget and a 429 apply to the whole run. A 429 pauses every
// refresh until its Retry-After. Each image's last refresh, next refresh and result are kept for
// the window. Timers are unref'd and started only by start(): nothing runs on construction.
import { RegistryError } from '../errors.js';
import type { KeepWarmSettings as KeepWarmOptions, KeptImageStatus } from '../public-types.js';
import type { RegistrySet } from '../registries/registry-set.js';
import { registryKey } from '../store/paths.js';
import { imageKey, type Pins } from './pins.js';
import type { KeepEntry } from './keep-list.js';
import { BudgetSpent, refreshImage, RunBudget, type RefreshParts } from './image-refresh.js';
import { nextRefreshAt, type RefreshSchedule } from './schedule.js';

export const defaultRefreshEveryMs = 6 * 3_600_000;
/** Without a Retry-After, a 429 pauses refreshes this long. */
const defaultPauseMs = 3_600_000;


export class KeepWarm {
  private readonly states = new Map<string, KeptImageStatus>();
  private readonly schedule: RefreshSchedule;
  private lastRunAt: number | null = null;
  private readonly share: number;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<KeptImageStatus[]> | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: KeepWarmOptions,
    private readonly registries: RegistrySet,
    private readonly parts: RefreshParts,
    pins: Pins,
    private readonly onRefreshed: (entry: KeepEntry, state: KeptImageStatus) => void = () => {},
  ) {
    this.schedule = { everyMs: options.everyMs ?? defaultRefreshEveryMs, nightly: options.nightly ?? null };
    this.share = options.budgetShare ?? 0.5;
    for (const entry of options.images) {
      this.states.set(this.keyOf(entry), { image: `${entry.registry}/${entry.repository}:${entry.tag}`, platforms: entry.platforms, lastRefresh: null, nextRefresh: null, result: 'waiting', detail: null });
    }
    pins.setKept(options.images.map((entry) => this.keyOf(entry)));
  }

  /** Keeps the results of images a previous list had too, so a changed list does not forget them. */
  adopt(previous: readonly KeptImageStatus[]): void {
    for (const old of previous) {
      const state = [...this.states.values()].find((s) => s.image === old.image);
      if (state && old.lastRefresh) Object.assign(state, { lastRefresh: old.lastRefresh, result: old.result, detail: old.detail });
    }
  }

  /** Refreshes when the schedule says (at once for an interval, at the window for a nightly one), then on schedule. */
  start(): void {
    if (this.timer || this.options.images.length === 0) return;
    const now = this.parts.now();
    const due = nextRefreshAt(now, this.schedule, this.lastRunAt);
    for (const state of this.states.values()) state.nextRefresh ??= new Date(due).toISOString();
    this.scheduleIn(due - now);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  status(): KeptImageStatus[] {
    return [...this.states.values()].map((state) => ({ ...state }));
  }

  /**
   * "Refresh now": one run over every kept image (a run of all already going is joined, not
   * doubled), or over the one image named `registry/repository:tag`, after any run going.
   */
  refreshNow(image?: string): Promise<KeptImageStatus[]> {
    if (image === undefined) {
      this.running ??= this.queued(() => this.run(this.options.images)).finally(() => (this.running = null));
      return this.running;
    }
    const entries = this.options.images.filter((entry) => `${entry.registry}/${entry.repository}:${entry.tag}` === image);
    if (entries.length === 0) return Promise.reject(Object.assign(new Error(`${image.slice(0, 200)} is not on the keep-warm list.`), { code: 'not-kept' }));
    return this.queued(() => this.run(entries));
  }

  private queued(run: () => Promise<KeptImageStatus[]>): Promise<KeptImageStatus[]> {
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private scheduleIn(delayMs: number): void {
    // setTimeout holds 32-bit delays: a longer wait is taken in steps, each re-reading the clock.
    const step = Math.min(Math.max(0, delayMs), 2 ** 31 - 1);
    this.timer = setTimeout(() => {
      const now = this.parts.now();
      const due = Math.max(nextRefreshAt(now, this.schedule, this.lastRunAt), this.pausedUntil);
      if (due > now) return this.scheduleIn(due - now);
      void this.refreshNow().finally(() => {
        if (this.timer) this.scheduleIn(Math.max(nextRefreshAt(this.parts.now(), this.schedule, this.lastRunAt), this.pausedUntil) - this.parts.now());
      });
    }, step);
    this.timer.unref();
  }

  /** When an image refreshed at `at` is due again. */
  private nextAfter(at: number): number {
    // An interval counts from the last run of all images (one image's "refresh now" does not move it).
    return this.schedule.nightly ? nextRefreshAt(at, this.schedule, at) : (this.lastRunAt ?? at) + this.schedule.everyMs;
  }

  private async run(entries: readonly KeepEntry[]): Promise<KeptImageStatus[]> {
    const { now } = this.parts;
    const budgets = new Map<string, RunBudget>();
    let stopped: { result: KeptImageStatus['result']; detail: string } | null = null;
    if (entries === this.options.images) this.lastRunAt = now();
    for (const entry of entries) {
      const state = this.states.get(this.keyOf(entry))!;
      if (!stopped && now() < this.pausedUntil) stopped = { result: 'paused', detail: `The upstream asked to wait; refreshes resume at ${new Date(this.pausedUntil).toISOString()}.` };
      if (stopped) {
        Object.assign(state, stopped, { nextRefresh: new Date(Math.max(this.pausedUntil, this.nextAfter(now()))).toISOString() });
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
          Object.assign(state, stopped, { nextRefresh: new Date(this.nextAfter(now())).toISOString() });
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
    Object.assign(state, { result, detail, lastRefresh: new Date(now).toISOString(), nextRefresh: new Date(this.nextAfter(now)).toISOString() });
    this.onRefreshed(entry, state);
  }

  private keyOf(entry: KeepEntry): string {
    return imageKey(registryKey(entry.registry), entry.repository, entry.tag);
  }
}
