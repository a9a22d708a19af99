// Issue 16's large layer: a cold multi-GiB layer (4 GiB unless --huge-mib says otherwise) through
// a fresh Dockmirror, first with one client (full speed, verified, peak RSS), then with two at
// once, one of them reading at 10 MB/s: the fast one must not be held to the slow one's pace
// (compared with the lone pull) and memory must stay bounded. The slow client stops once the
// fast one is done; at 10 MB/s it would need minutes more.
import { pullInChild, type PullResult } from './client.js';
import { blobUrl, layerOf, need, settledBlobBytes, withDockmirror, type BenchContext } from './context.js';
import { MiB, mib, mibPerSecond, times, verdict, type Row } from './report.js';

const RSS_LIMIT = 100 * MiB;
const SLOW_BYTES_PER_SECOND = 10e6;

export async function largeLayer(ctx: BenchContext): Promise<Row[]> {
  const image = need(ctx.images.huge, 'the huge image');
  const layer = layerOf(image);
  const url = (base: string): string => blobUrl(base, image);
  const intact = (result: PullResult): boolean => result.status === 200 && result.digest === layer.digest;
  const lone = await withDockmirror(ctx, {}, async (mirror) => {
    const idle = await mirror.memory({ resetPeak: true });
    const result = await pullInChild({ kind: 'mirror', url: url(mirror.url) });
    const upstreamBytes = await settledBlobBytes(ctx, layer.digest);
    const memory = await mirror.memory();
    return { result, upstreamBytes, idle: idle.rss, peak: memory.peakRss };
  });
  ctx.log(`  one client: ${intact(lone.result) ? 'intact' : 'NOT intact'}, ${mibPerSecond(lone.result.bytes, lone.result.ms).toFixed(0)} MiB/s, peak RSS ${mib(lone.peak)}`);
  const pair = await withDockmirror(ctx, {}, async (mirror) => {
    const idle = await mirror.memory({ resetPeak: true });
    const fastStarted = performance.now();
    let fastMs = 0;
    const fast = pullInChild({ kind: 'mirror', url: url(mirror.url) }).then((result) => {
      fastMs = performance.now() - fastStarted;
      return result;
    });
    // Started together: the slow one stops a little after the fast one would have finished alone.
    const stopAfterMs = Math.max(10_000, lone.result.ms * 2);
    const slow = pullInChild({ kind: 'mirror', url: url(mirror.url), bytesPerSecond: SLOW_BYTES_PER_SECOND, stopAfterMs });
    const [fastResult, slowResult] = await Promise.all([fast, slow]);
    const upstreamBytes = await settledBlobBytes(ctx, layer.digest);
    const memory = await mirror.memory();
    return { fastResult, fastMs, slowResult, upstreamBytes, idle: idle.rss, peak: memory.peakRss };
  });
  const loneRate = mibPerSecond(lone.result.bytes, lone.result.ms);
  const fastRate = mibPerSecond(pair.fastResult.bytes, pair.fastMs);
  const slowRate = mibPerSecond(pair.slowResult.bytes, pair.slowResult.ms);
  ctx.log(`  two clients: fast ${intact(pair.fastResult) ? 'intact' : 'NOT intact'} at ${fastRate.toFixed(0)} MiB/s, slow read ${mib(pair.slowResult.bytes)} at ${slowRate.toFixed(1)} MiB/s; peak RSS ${mib(pair.peak)}`);
  const scenario = `cold ${mib(layer.size)} layer`;
  const slowPace = (SLOW_BYTES_PER_SECOND / MiB).toFixed(1);
  return [
    {
      scenario: `${scenario}, 1 client`,
      metric: 'verified / throughput / upstream bytes',
      dockmirror: `${intact(lone.result) ? 'intact' : 'NOT intact'}, ${loneRate.toFixed(0)} MiB/s, ${times(lone.upstreamBytes / layer.size)}`,
      distribution: '-',
      ratio: '-',
      goal: 'intact, 1.00×',
      verdict: verdict(intact(lone.result) && lone.upstreamBytes <= layer.size),
    },
    {
      scenario: `${scenario}, 1 client`,
      metric: 'mirror peak RSS (50 ms samples)',
      dockmirror: `${mib(lone.peak)} (idle ${mib(lone.idle)})`,
      distribution: '-',
      ratio: '-',
      goal: '< 100 MiB',
      verdict: verdict(lone.peak < RSS_LIMIT),
    },
    {
      scenario: `${scenario}, 2 clients, one at ${slowPace} MiB/s`,
      metric: `fast client's throughput (lone pull ${loneRate.toFixed(0)} MiB/s); slow client read ${slowRate.toFixed(1)} MiB/s`,
      dockmirror: `${intact(pair.fastResult) ? 'intact' : 'NOT intact'}, ${fastRate.toFixed(0)} MiB/s = ${times(fastRate / loneRate)} lone`,
      distribution: '-',
      ratio: `${times(fastRate / slowRate)} the slow one`,
      goal: 'intact, ≫ slow pace',
      // "Not held to the slow one's pace": several times the slow client's rate.
      verdict: verdict(intact(pair.fastResult) && fastRate > 4 * slowRate),
    },
    {
      scenario: `${scenario}, 2 clients, one at ${slowPace} MiB/s`,
      metric: 'mirror peak RSS (50 ms samples) / upstream bytes',
      dockmirror: `${mib(pair.peak)} (idle ${mib(pair.idle)}), ${times(pair.upstreamBytes / layer.size)}`,
      distribution: '-',
      ratio: '-',
      goal: '< 100 MiB, 1.00×',
      verdict: verdict(pair.peak < RSS_LIMIT && pair.upstreamBytes <= layer.size),
    },
  ];
}
