// How often the tray is touched, counted on the stand-in Tray with a clock the test moves: the
// three icons are made once, the icon is set only when its state changes, the menu is rebuilt
// only when an entry changes and, for the status line that moves with every pull, at most once
// per interval with the latest numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppState } from '../../main/shared/contract.js';
import { createTray, type TrayElectron } from '../../main/electron/tray.js';
import type { TrayClock } from '../../main/electron/tray-presenter.js';
import { FakeTray, Menu, nativeImage } from '../support/electron-stub.js';
import { sampleState, stoppedState } from '../support/app-state.js';

class ManualClock implements TrayClock {
  time = 0;
  private timers: Array<{ at: number; run: () => void; id: number }> = [];
  private nextId = 1;
  now(): number {
    return this.time;
  }
  setTimeout(run: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, run, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = due.at;
      due.run();
    }
    this.time = until;
  }
  get pending(): number {
    return this.timers.length;
  }
}

class CountingTray extends FakeTray {
  static made: CountingTray[] = [];
  counts = { setImage: 0, setToolTip: 0, setContextMenu: 0 };
  constructor(image: unknown) {
    super(image);
    CountingTray.made.push(this);
  }
  override setImage(image: unknown): void {
    this.counts.setImage++;
    super.setImage(image);
  }
  override setToolTip(text: string): void {
    this.counts.setToolTip++;
    super.setToolTip(text);
  }
  override setContextMenu(menu: { items: FakeTray['menu'] }): void {
    this.counts.setContextMenu++;
    super.setContextMenu(menu);
  }
}

function harness(state: AppState) {
  const clock = new ManualClock();
  const created: string[] = [];
  let builds = 0;
  const electron = {
    Tray: CountingTray,
    Menu: { buildFromTemplate: (items: unknown[]) => (builds++, Menu.buildFromTemplate(items)) },
    nativeImage: { createFromPath: (path: string) => (created.push(path), nativeImage.createFromPath(path)) },
  } as unknown as TrayElectron;
  const before = CountingTray.made.length;
  const handle = createTray(electron, state, { iconsDir: '/icons', platform: 'linux', onAction: () => undefined, clock, menuIntervalMs: 3_000 });
  const tray = CountingTray.made[before]!;
  return { clock, created, handle, tray, builds: () => builds };
}

/** The same state, one more pull served: only the status line's numbers move. */
function withPulls(state: AppState, pullsServed: number): AppState {
  const next = structuredClone(state);
  next.mirror.counters.pullsServed = pullsServed;
  return next;
}

test('the three icons are made once, and the first state needs no setImage', () => {
  const { created, tray, builds } = harness(sampleState());
  assert.deepEqual(created, ['/icons/serving-32.png', '/icons/stopped-32.png', '/icons/error-32.png']);
  assert.deepEqual(tray.image, { path: '/icons/serving-32.png' });
  assert.deepEqual(tray.counts, { setImage: 0, setToolTip: 1, setContextMenu: 1 });
  assert.equal(builds(), 1);
});

test('an unchanged state touches nothing; the icon is set only when its state changes', () => {
  const { handle, tray, created, clock } = harness(sampleState());
  for (let i = 0; i < 20; i++) handle.update(sampleState());
  assert.deepEqual(tray.counts, { setImage: 0, setToolTip: 1, setContextMenu: 1 });
  handle.update(stoppedState());
  handle.update(stoppedState());
  assert.equal(tray.counts.setImage, 1);
  assert.deepEqual(tray.image, { path: '/icons/stopped-32.png' });
  // Start/Stop is what the person just asked for: shown at once, inside the interval.
  assert.equal(tray.counts.setContextMenu, 2);
  assert.ok(tray.menu.some((item) => item.label === 'Start mirror'));
  handle.update(sampleState());
  assert.equal(tray.counts.setImage, 2);
  clock.advance(10_000);
  assert.equal(tray.counts.setImage, 2);
  assert.equal(created.length, 3, 'icons were made again');
});

test('a status line that moves with every pull is rebuilt at most once per interval, with the latest numbers', () => {
  const base = sampleState();
  const { handle, tray, clock, builds } = harness(base);
  clock.advance(5_000); // long after the first build
  handle.update(withPulls(base, 101));
  assert.equal(tray.counts.setContextMenu, 2, 'the first change after a quiet spell shows at once');
  // 30 s of a pull every 100 ms.
  for (let i = 0; i < 300; i++) {
    clock.advance(100);
    handle.update(withPulls(base, 102 + i));
  }
  clock.advance(3_000);
  const rebuilds = tray.counts.setContextMenu - 2;
  assert.ok(rebuilds >= 9 && rebuilds <= 11, `${rebuilds} rebuilds in 30 s`);
  assert.equal(builds(), tray.counts.setContextMenu);
  assert.equal(tray.menu[0]!.label, 'Serving 192.168.1.20:5000 · 12.3 GB cached · 388 pulls saved');
  assert.equal(tray.counts.setImage, 0);
  assert.equal(clock.pending, 0);
});

test('a change that goes back before the interval ends rebuilds nothing; destroy cancels what waits', () => {
  const base = sampleState();
  const { handle, tray, clock } = harness(base);
  handle.update(withPulls(base, 150));
  assert.equal(clock.pending, 1);
  handle.update(base);
  assert.equal(clock.pending, 0);
  clock.advance(10_000);
  assert.equal(tray.counts.setContextMenu, 1);
  handle.update(withPulls(base, 160));
  handle.update(withPulls(base, 170));
  clock.advance(1_000);
  handle.update(withPulls(base, 180));
  handle.destroy();
  clock.advance(10_000);
  assert.equal(tray.counts.setContextMenu, 2);
  assert.equal(tray.destroyed, true);
  handle.update(withPulls(base, 190));
  assert.equal(tray.counts.setContextMenu, 2);
});
