// The one way Dockmirror writes a number of bytes for people: in the engine's own sentences (pull
// summaries, the disk floor, verify), the tray and the window (through main/shared/). Decimal
// units as disks and Docker report them; whole numbers from 100 up, one decimal below.
// No imports, so the window's browser build can load it as it is.

const units = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  // Rounded before the digits are chosen, so 99.96 kB reads "100 kB" and 999.96 kB "1.0 MB".
  if (unit > 0 && Math.round(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || Math.round(value * 10) / 10 >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
