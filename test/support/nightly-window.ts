// A keep-warm nightly window that cannot contain the test's run: an hour half a day from now, in
// local time as the schedule reads it. A fixed window (02:00-03:00) made tests fail when CI ran
// inside it, since the engine then refreshed kept images on its own.
export function nightlyWindowAwayFromNow(): { start: string; end: string } {
  const hour = (new Date().getHours() + 12) % 24;
  const clock = (h: number): string => `${String(h % 24).padStart(2, '0')}:00`;
  return { start: clock(hour), end: clock(hour + 1) };
}
