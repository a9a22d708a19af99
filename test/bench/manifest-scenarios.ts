// Manifest scenarios: a tag and a digest hammered by 16 connections, counting what reaches the
// upstream. Tags are where Docker Hub counts pulls, so upstream requests per TTL window matter
// more than raw speed.
import { Pool } from 'undici';
import { MEDIA_TYPES } from '../support/images.js';
import { expectBody, runLoop, type LoopResult } from './client.js';
import { need, SUBJECTS, upstreamManifestRequests, withSubject, type BenchContext } from './context.js';
import { times, verdict, type Row } from './report.js';
import type { SubjectName } from './subjects.js';

const CONNECTIONS = 16;
/** Short enough that a 5 s run spans several windows, so revalidation is really exercised. */
const TAG_TTL_MS = 1000;
const ACCEPT = [MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex].join(', ');

interface ManifestRun {
  loop: LoopResult;
  upstreamRequests: number;
}

async function hammer(ctx: BenchContext, name: SubjectName, reference: 'tag' | 'digest'): Promise<ManifestRun> {
  const image = need(ctx.images.small, 'the small image');
  return withSubject(ctx, name, { tagTtlMs: TAG_TTL_MS }, async (subject) => {
    const pool = new Pool(subject.url, { connections: CONNECTIONS });
    try {
      const path = `/v2/${image.repository}/manifests/${reference === 'tag' ? need(image.tag, 'a tag') : image.digest}`;
      const loop = await runLoop({
        workers: CONNECTIONS,
        durationMs: ctx.options.manifestSeconds * 1000,
        maxRequests: 2_000_000,
        operation: () => expectBody(pool, `${subject.url}${path}`, { digest: image.digest, headers: { accept: ACCEPT } }),
      });
      return { loop, upstreamRequests: upstreamManifestRequests(ctx, image.repository) };
    } finally {
      await pool.close();
    }
  });
}

function rate(run: ManifestRun): number {
  return run.loop.requests / (run.loop.elapsedMs / 1000);
}

function errorsCell(run: ManifestRun): string {
  return run.loop.errors === 0 ? '0' : `${run.loop.errors} (${run.loop.errorSamples[0] ?? ''})`;
}

async function both(ctx: BenchContext, reference: 'tag' | 'digest'): Promise<Record<SubjectName, ManifestRun>> {
  const runs = {} as Record<SubjectName, ManifestRun>;
  for (const name of SUBJECTS) {
    runs[name] = await hammer(ctx, name, reference);
    const run = runs[name];
    ctx.log(`  ${name}: ${rate(run).toFixed(0)} req/s, ${run.loop.errors} errors, ${run.upstreamRequests} upstream manifest requests`);
  }
  return runs;
}

export async function tagManifest(ctx: BenchContext): Promise<Row[]> {
  const runs = await both(ctx, 'tag');
  // Windows the run touched: a cold fetch opens the first, each expiry may open another.
  const perWindow = (run: ManifestRun): number => run.upstreamRequests / Math.ceil(run.loop.elapsedMs / TAG_TTL_MS);
  const scenario = `tag manifest, ${CONNECTIONS} conns ${ctx.options.manifestSeconds}s`;
  const dm = runs.dockmirror;
  const dist = runs.distribution;
  return [
    {
      scenario,
      metric: 'requests/s',
      dockmirror: rate(dm).toFixed(0),
      distribution: rate(dist).toFixed(0),
      ratio: times(rate(dm) / rate(dist)),
      goal: '≥ 10× distribution',
      verdict: verdict(dm.loop.errors === 0 && rate(dm) >= 10 * rate(dist)),
    },
    {
      scenario,
      metric: `upstream manifest reqs per ${TAG_TTL_MS} ms (TTL)`,
      dockmirror: `${perWindow(dm).toFixed(2)} (${dm.upstreamRequests} in ${(dm.loop.elapsedMs / 1000).toFixed(1)} s)`,
      distribution: `${perWindow(dist).toFixed(2)} (${dist.upstreamRequests} in ${(dist.loop.elapsedMs / 1000).toFixed(1)} s)`,
      ratio: times(perWindow(dm) / perWindow(dist)),
      goal: 'Dockmirror ≤ 1 per TTL window',
      verdict: verdict(dm.upstreamRequests > 0 && perWindow(dm) <= 1),
    },
    {
      scenario,
      metric: 'failed requests',
      dockmirror: errorsCell(dm),
      distribution: errorsCell(dist),
      ratio: '-',
      goal: '0',
      verdict: verdict(dm.loop.errors === 0),
    },
  ];
}

export async function digestManifest(ctx: BenchContext): Promise<Row[]> {
  const runs = await both(ctx, 'digest');
  const dm = runs.dockmirror;
  const dist = runs.distribution;
  const scenario = `digest manifest, ${CONNECTIONS} conns ${ctx.options.manifestSeconds}s`;
  return [
    {
      scenario,
      metric: 'requests/s',
      dockmirror: rate(dm).toFixed(0),
      distribution: rate(dist).toFixed(0),
      ratio: times(rate(dm) / rate(dist)),
      goal: '≥ 3× distribution',
      verdict: verdict(dm.loop.errors === 0 && rate(dm) >= 3 * rate(dist)),
    },
    {
      scenario,
      metric: 'failed requests',
      dockmirror: errorsCell(dm),
      distribution: errorsCell(dist),
      ratio: '-',
      goal: '0',
      verdict: verdict(dm.loop.errors === 0),
    },
  ];
}
