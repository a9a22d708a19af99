// The benchmark's result rows and the table they print as.

export type Verdict = 'PASS' | 'FAIL' | 'INFO';

export interface Row {
  scenario: string;
  metric: string;
  dockmirror: string;
  /** '-' where the scenario runs Dockmirror only. */
  distribution: string;
  /** Dockmirror ÷ distribution, or against the stated baseline. */
  ratio: string;
  goal: string;
  verdict: Verdict;
}

export const MiB = 1024 * 1024;

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export function mibPerSecond(bytes: number, ms: number): number {
  return bytes / MiB / (ms / 1000);
}

export function times(value: number): string {
  return `${value.toFixed(2)}×`;
}

export function verdict(ok: boolean): Verdict {
  return ok ? 'PASS' : 'FAIL';
}

export function renderTable(rows: Row[]): string {
  const header: Row = { scenario: 'Scenario', metric: 'Metric', dockmirror: 'Dockmirror', distribution: 'distribution', ratio: 'Ratio', goal: 'Goal', verdict: 'INFO' };
  const columns: (keyof Row)[] = ['scenario', 'metric', 'dockmirror', 'distribution', 'ratio', 'goal', 'verdict'];
  const all = [header, ...rows];
  const widths = columns.map((column) => Math.max(...all.map((row) => row[column].length)));
  const line = (row: Row, isHeader: boolean): string =>
    columns
      .map((column, i) => (isHeader && column === 'verdict' ? 'Result' : row[column]).padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(header, true), rule, ...rows.map((row) => line(row, false))].join('\n');
}
