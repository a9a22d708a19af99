// When kept images are refreshed: every N hours, or inside a nightly window in local time
// ("02:00-05:00", when nobody pulls and the rate limit has refilled). Pure functions of the
// injected clock, so the schedule is tested without waiting for a night.

/** `HH:MM` to `HH:MM`, local time; an end at or before the start runs past midnight. */
export interface NightlyWindow {
  start: string;
  end: string;
}

export interface RefreshSchedule {
  everyMs: number;
  /** When set, refreshes run only inside this window, once a night; `everyMs` is then unused. */
  nightly: NightlyWindow | null;
}

const clockPattern = /^([01]\d|2[0-3]):([0-5]\d)$/;
const dayMinutes = 24 * 60;

/** Minutes after midnight of an `HH:MM` time, or a sentence saying how to write it. */
export function parseClockTime(text: string): number {
  const match = clockPattern.exec(text);
  if (!match) throw new Error(`"${String(text).slice(0, 20)}" is not a time of day; write it as HH:MM, such as 02:00.`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** Checks a window's two times; a window of no length is refused rather than read as all day. */
export function checkNightlyWindow(window: NightlyWindow): NightlyWindow {
  const start = parseClockTime(window.start);
  const end = parseClockTime(window.end);
  if (start === end) throw new Error(`The nightly window ${window.start}-${window.end} starts and ends at the same time; give it at least a minute.`);
  return { start: window.start, end: window.end };
}

/** The window's start at or before `now` (local time), and the window's length in ms. */
function latestStart(now: number, window: NightlyWindow): { start: number; lengthMs: number } {
  const startMinutes = parseClockTime(window.start);
  const lengthMinutes = (parseClockTime(window.end) - startMinutes + dayMinutes) % dayMinutes;
  const start = new Date(now);
  start.setHours(Math.floor(startMinutes / 60), startMinutes % 60, 0, 0);
  // setDate keeps the local wall time across a daylight-saving change, where adding 24 h would not.
  if (start.getTime() > now) start.setDate(start.getDate() - 1);
  return { start: start.getTime(), lengthMs: lengthMinutes * 60_000 };
}

export function insideWindow(now: number, window: NightlyWindow): boolean {
  const { start, lengthMs } = latestStart(now, window);
  return now < start + lengthMs;
}

/**
 * When the next refresh is due. Before any run (`ranAt` null) an interval schedule runs at once
 * and a nightly one at once if inside its window, else at the window's next start. After a run,
 * the interval counts from it; a nightly schedule waits for the next night's window, so a run
 * inside tonight's window is not repeated until tomorrow's.
 */
export function nextRefreshAt(now: number, schedule: RefreshSchedule, ranAt: number | null): number {
  const { nightly } = schedule;
  if (!nightly) return ranAt === null ? now : ranAt + schedule.everyMs;
  if (ranAt === null && insideWindow(now, nightly)) return now;
  const next = new Date(latestStart(ranAt ?? now, nightly).start);
  next.setDate(next.getDate() + 1);
  return next.getTime();
}

export function describeSchedule(schedule: RefreshSchedule): string {
  if (schedule.nightly) return `nightly between ${schedule.nightly.start} and ${schedule.nightly.end} local time`;
  const hours = schedule.everyMs / 3_600_000;
  return Number.isInteger(hours) ? `every ${hours} h` : `every ${Math.round(schedule.everyMs / 60_000)} min`;
}
