// Decides when the tray is touched, so the Electron adapter (tray.ts) only applies. On Linux each
// setImage and setContextMenu is a D-Bus round of the StatusNotifier protocol and makes panels
// redraw, and the app state changes with every pull. So: the icon only when its state changes,
// the tooltip only when its text does, and the menu only when an entry changes; a status line
// that moves with every pull is rebuilt at most once per interval, with the latest numbers.
import type { AppState } from '../shared/contract.js';
import { trayIconState, trayMenu, trayTooltip, type TrayIconState, type TrayMenuItem } from './tray-menu.js';

/** What the adapter does with Electron's Tray and Menu. */
export interface TrayView {
  setIcon(state: TrayIconState): void;
  setToolTip(text: string): void;
  setMenu(items: TrayMenuItem[]): void;
}

export interface TrayClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: TrayClock = Object.freeze<TrayClock>({
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
});

/** Everything about an entry a person can see or use. */
function entryKey(item: TrayMenuItem): string {
  return JSON.stringify([item.type, item.label, item.enabled, item.checked ?? null, item.action ?? null]);
}

/**
 * True when only the status line (the first entry) differs: that is the churn to coalesce. A
 * changed action or checkbox comes from what the person just did and is shown at once.
 */
function onlyStatusChanged(before: TrayMenuItem[], after: TrayMenuItem[]): boolean {
  if (before.length !== after.length) return false;
  return after.every((item, index) => index === 0 || entryKey(item) === entryKey(before[index]!));
}

export class TrayPresenter {
  private icon: TrayIconState | null = null;
  private tooltip: string | null = null;
  private shown: TrayMenuItem[] | null = null;
  private shownAt = Number.NEGATIVE_INFINITY;
  private pending: TrayMenuItem[] | null = null;
  private timer: unknown = null;

  private readonly clock: TrayClock;
  private readonly menuIntervalMs: number;

  /** `options.icon` is the one the Tray was created with. */
  constructor(
    private readonly view: TrayView,
    options: { clock?: TrayClock; menuIntervalMs?: number; icon?: TrayIconState } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.menuIntervalMs = options.menuIntervalMs ?? 3_000;
    this.icon = options.icon ?? null;
  }

  show(state: AppState): void {
    const icon = trayIconState(state);
    if (icon !== this.icon) {
      this.icon = icon;
      this.view.setIcon(icon);
    }
    const tooltip = trayTooltip(state);
    if (tooltip !== this.tooltip) {
      this.tooltip = tooltip;
      this.view.setToolTip(tooltip);
    }
    this.offerMenu(trayMenu(state));
  }

  /** No rebuild may land on a destroyed tray. */
  stop(): void {
    this.cancelPending();
  }

  private offerMenu(items: TrayMenuItem[]): void {
    const shown = this.shown;
    if (shown && items.length === shown.length && items.every((item, index) => entryKey(item) === entryKey(shown[index]!))) {
      // Back to what is on screen: a rebuild waiting for the interval has nothing left to do.
      this.cancelPending();
      return;
    }
    const wait = this.shownAt + this.menuIntervalMs - this.clock.now();
    if (!shown || wait <= 0 || !onlyStatusChanged(shown, items)) {
      this.cancelPending();
      this.apply(items);
      return;
    }
    this.pending = items;
    this.timer ??= this.clock.setTimeout(() => {
      this.timer = null;
      const latest = this.pending;
      this.pending = null;
      if (latest) this.apply(latest);
    }, wait);
  }

  private apply(items: TrayMenuItem[]): void {
    this.shown = items;
    this.shownAt = this.clock.now();
    this.view.setMenu(items);
  }

  private cancelPending(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
