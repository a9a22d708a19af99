// `npm run bench`: Dockmirror side by side with distribution's proxy, against one Hub stand-in.
// Prints a table with both figures, their ratio and PASS/FAIL against the goals; exits 1 when a
// goal is missed or a scenario could not run.
import { pushRandomImage, type PushedImageManifest } from '../support/images.js';
import { startTestUpstream } from '../support/upstream.js';
import { coldBlob, concurrentClients, warmBlob } from './blob-scenarios.js';
import { BENCH_HUB_LIMITS, type BenchContext, type BenchImages } from './context.js';
import { engineProcessRss } from './engine-process-scenario.js';
import { mixedLoad, peakRss } from './memory-scenarios.js';
import { digestManifest, tagManifest } from './manifest-scenarios.js';
import { stuckClients } from './stuck-scenario.js';
import { coldHttps } from './cold-https-scenario.js';
import { coldCores, coldUnshaped } from './cold-path-scenarios.js';
import { largeLayer } from './large-layer-scenario.js';
import { warmVersusNginx } from './warm-nginx-scenario.js';
import { parseBenchOptions, USAGE, type BenchOptions, type ScenarioName } from './options.js';
import { MiB, renderTable, type Row } from './report.js';

const RUNNERS: Record<ScenarioName, (ctx: BenchContext) => Promise<Row[]>> = {
  cold: coldBlob,
  concurrent: (ctx) => concurrentClients(ctx),
  warm: (ctx) => warmBlob(ctx),
  tags: tagManifest,
  digest: digestManifest,
  rss: (ctx) => peakRss(ctx),
  load: (ctx) => mixedLoad(ctx),
  'engine-rss': (ctx) => engineProcessRss(ctx),
  stuck: stuckClients,
  'cold-unshaped': (ctx) => coldUnshaped(ctx),
  'cold-https': (ctx) => coldHttps(ctx),
  cores: (ctx) => coldCores(ctx),
  large: largeLayer,
  'warm-nginx': (ctx) => warmVersusNginx(ctx),
};

const NEEDS: Record<ScenarioName, (keyof BenchImages)[]> = {
  // The small image warms each fresh mirror up before its cold pull of the medium one.
  cold: ['medium', 'small'],
  concurrent: ['small'],
  warm: ['medium'],
  tags: ['small'],
  digest: ['small'],
  rss: ['large'],
  load: ['small'],
  'engine-rss': ['large'],
  stuck: ['small'],
  'cold-unshaped': ['medium', 'small'],
  'cold-https': ['medium', 'small'],
  cores: ['medium', 'small'],
  large: ['huge'],
  'warm-nginx': ['medium'],
};

function sizes(options: BenchOptions): Record<keyof BenchImages, number> {
  const huge = options.hugeMib * MiB;
  return options.quick ? { small: 4 * MiB, medium: 16 * MiB, large: 32 * MiB, huge } : { small: 64 * MiB, medium: 256 * MiB, large: 1024 * MiB, huge };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function pushImages(registryUrl: string, options: BenchOptions): Promise<BenchImages> {
  const wanted = [...new Set(options.scenarios.flatMap((name) => NEEDS[name]))];
  const size = sizes(options);
  const images: BenchImages = {};
  // One at a time: random bytes, gzip and two hashes already fill a core each.
  for (const key of wanted) {
    const started = performance.now();
    const image: PushedImageManifest = await pushRandomImage(registryUrl, { repository: `library/bench-${key}`, tag: '1', sizeBytes: size[key] });
    images[key] = image;
    log(`pushed ${image.repository}:1 (${(size[key] / MiB).toFixed(0)} MiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return images;
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    log(`${error instanceof Error ? error.message : String(error)}\nUsage: ${USAGE}`);
    return 2;
  }
  const began = performance.now();
  // Pull limits out of the way: the load runs far past Docker Hub's 100 per 6 h on purpose. The
  // CDN serves from distribution's files, as a real one serves object storage: a second HTTP hop
  // in this process cost as much CPU per byte as a mirror under test.
  const upstream = await startTestUpstream({ hub: BENCH_HUB_LIMITS, cdnReadsStorage: true });
  const rows: Row[] = [];
  try {
    const images = await pushImages(upstream.registry.url, options);
    const ctx: BenchContext = { upstream, images, options, log };
    for (const name of options.scenarios) {
      log(`scenario ${name}…`);
      try {
        rows.push(...(await RUNNERS[name](ctx)));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`  ${name} could not run: ${message}`);
        rows.push({ scenario: name, metric: 'could not run', dockmirror: message.slice(0, 120), distribution: '-', ratio: '-', goal: '-', verdict: 'FAIL' });
      }
    }
  } finally {
    await upstream.close();
  }
  process.stdout.write(`\n${renderTable(rows)}\n\n`);
  const failed = rows.filter((row) => row.verdict === 'FAIL').length;
  process.stdout.write(`${failed === 0 ? 'All goals met' : `${failed} goal(s) missed`}; ${options.quick ? 'quick mode, ' : ''}${((performance.now() - began) / 1000).toFixed(0)} s in all.\n`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`The benchmark could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
