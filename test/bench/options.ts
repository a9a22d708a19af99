// Command-line flags of `npm run bench`.
import { parseArgs } from 'node:util';

export const SCENARIOS = ['cold', 'concurrent', 'warm', 'tags', 'digest', 'rss', 'load', 'engine-rss', 'stuck', 'cold-unshaped', 'cold-https', 'cores', 'large', 'warm-nginx'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenarios: ScenarioName[];
  /** Small sizes and short loops: a smoke check that the bench itself works. */
  quick: boolean;
  loadSeconds: number;
  manifestSeconds: number;
  /** The bandwidth of the upstream's link in the cold-pull goal, in Mbit/s. */
  linkMbit: number;
  /** The cold large layer's size (issue 16 asks for 4 GiB), in MiB. */
  hugeMib: number;
}

export const USAGE = `npm run bench -- [--quick] [--only ${SCENARIOS.join('|')}[,…]] [--load-seconds N] [--manifest-seconds N] [--link-mbit N] [--huge-mib N]`;

function isScenario(value: string): value is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(value);
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 3600) throw new Error(`--${name} takes a number of seconds between 0 and 3600, not "${raw}".`);
  return value;
}

/** 1 Gbit/s: a fast office uplink, well above what Docker Hub usually delivers to one client. */
function linkMbit(raw: string | undefined): number {
  if (raw === undefined) return 1000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 1 || value > 100_000) throw new Error(`--link-mbit takes a bandwidth in Mbit/s between 1 and 100000, not "${raw}".`);
  return value;
}

function hugeMib(raw: string | undefined, quick: boolean): number {
  if (raw === undefined) return quick ? 64 : 4096;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 16_384) throw new Error(`--huge-mib takes a whole number of MiB between 1 and 16384, not "${raw}".`);
  return value;
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true },
      'load-seconds': { type: 'string' },
      'manifest-seconds': { type: 'string' },
      'link-mbit': { type: 'string' },
      'huge-mib': { type: 'string' },
    },
    strict: true,
  });
  const requested = (values.only ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean);
  for (const name of requested) if (!isScenario(name)) throw new Error(`Unknown scenario "${name}". Known: ${SCENARIOS.join(', ')}.`);
  const quick = values.quick ?? false;
  return {
    scenarios: requested.length > 0 ? SCENARIOS.filter((name) => requested.includes(name)) : [...SCENARIOS],
    quick,
    loadSeconds: positive('load-seconds', values['load-seconds'], quick ? 5 : 60),
    manifestSeconds: positive('manifest-seconds', values['manifest-seconds'], quick ? 2 : 5),
    linkMbit: linkMbit(values['link-mbit']),
    hugeMib: hugeMib(values['huge-mib'], quick),
  };
}
