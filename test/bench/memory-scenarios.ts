// Dockmirror-only scenarios about its own process: peak RSS while eight clients stream one large
// blob, and the long mixed load of issue 3 (errors, file descriptors, memory at start and end).
import { Agent } from 'undici';
import { expectBody, pull, runLoop } from './client.js';
import { blobUrl, layerOf, need, settledBlobBytes, withDockmirror, type BenchContext } from './context.js';
import { MiB, mib, times, verdict, type Row } from './report.js';
import { openFds } from './subjects.js';

const RSS_LIMIT = 100 * MiB;

export async function peakRss(ctx: BenchContext, clients = 8): Promise<Row[]> {
  const image = need(ctx.images.large, 'the large image');
  const layer = layerOf(image);
  return withDockmirror(ctx, {}, async (mirror) => {
    const idle = await mirror.memory({ resetPeak: true });
    const agent = new Agent();
    let intact = 0;
    try {
      const results = await Promise.allSettled(Array.from({ length: clients }, () => pull(agent, blobUrl(mirror.url, image), { hash: true })));
      intact = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200 && r.value.digest === layer.digest).length;
    } finally {
      await agent.close();
    }
    const upstreamBytes = await settledBlobBytes(ctx, layer.digest);
    const after = await mirror.memory();
    ctx.log(`  idle ${mib(idle.rss)}, peak ${mib(after.peakRss)}, ${intact}/${clients} intact, upstream ${mib(upstreamBytes)}`);
    const scenario = `${clients} clients, cold ${mib(layer.size)}`;
    return [
      {
        scenario,
        metric: 'mirror peak RSS (50 ms samples)',
        dockmirror: `${mib(after.peakRss)} (idle ${mib(idle.rss)})`,
        distribution: '-',
        ratio: '-',
        goal: '< 100 MiB',
        verdict: verdict(after.peakRss < RSS_LIMIT),
      },
      {
        scenario,
        metric: 'bodies intact / upstream bytes',
        dockmirror: `${intact}/${clients}, ${times(upstreamBytes / layer.size)}`,
        distribution: '-',
        ratio: '-',
        goal: `${clients}/${clients}, 1.00×`,
        verdict: verdict(intact === clients && upstreamBytes <= layer.size),
      },
    ];
  });
}

/** A sixth of the measured load, 2 to 10 s. */
function warmupSeconds(loadSeconds: number): number {
  return Math.min(10, Math.max(2, loadSeconds / 6));
}

async function waitForFds(pid: number, target: number, maxMs: number): Promise<number> {
  const deadline = Date.now() + maxMs;
  let count = await openFds(pid);
  while (count > target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    count = await openFds(pid);
  }
  return count;
}

export async function mixedLoad(ctx: BenchContext, clients = 200): Promise<Row[]> {
  const image = need(ctx.images.small, 'the small image');
  const layer = layerOf(image);
  const tag = need(image.tag, 'a tag');
  return withDockmirror(ctx, {}, async (mirror) => {
    const manifestByTag = `${mirror.url}/v2/${image.repository}/manifests/${tag}`;
    const manifestByDigest = `${mirror.url}/v2/${image.repository}/manifests/${image.digest}`;
    const config = blobUrl(mirror.url, image, image.config.digest);
    const big = blobUrl(mirror.url, image);
    const accept = { accept: image.mediaType };
    // Warm every path once, so the starting figures include what the engine keeps open for good.
    const warm = new Agent();
    try {
      await expectBody(warm, manifestByTag, { digest: image.digest, headers: accept });
      await expectBody(warm, manifestByDigest, { digest: image.digest });
      await expectBody(warm, config, { digest: image.config.digest });
      await expectBody(warm, big, { digest: layer.digest });
    } finally {
      await warm.close();
    }
    await settledBlobBytes(ctx, layer.digest);
    const fdsStart = await waitForFds(mirror.pid, 0, 2000);
    const idle = await mirror.memory({ gc: true, resetPeak: true });
    const kinds = { tag: 0, digest: 0, config: 0, layer: 0 };
    const agent = new Agent();
    let loop;
    let start;
    try {
      const load = (seconds: number): ReturnType<typeof runLoop> =>
        runLoop({
          workers: clients,
          durationMs: seconds * 1000,
          maxRequests: 50_000_000,
          operation: async (n) => {
          // A pull's shape: mostly manifests, some small blobs, now and then a big layer.
          const slot = n % 50;
          if (slot === 0) {
            kinds.layer++;
            // Length only: hashing 64 MiB bodies at this rate would make the client the bottleneck.
            const result = await pull(agent, big);
            if (result.status !== 200 || result.bytes !== layer.size) throw new Error(`layer GET: HTTP ${result.status}, ${result.bytes} of ${layer.size} bytes`);
          } else if (slot < 10) {
            kinds.config++;
            await expectBody(agent, config, { digest: image.config.digest });
          } else if (slot < 25) {
            kinds.digest++;
            await expectBody(agent, manifestByDigest, { digest: image.digest });
          } else {
            kinds.tag++;
            await expectBody(agent, manifestByTag, { digest: image.digest, headers: accept });
          }
        },
      });
      // "Flat" means no growth while the load goes on. The start figure is taken once the
      // engine has served this load for a while (after a GC), so the heap V8 grows for 200
      // concurrent clients is not counted as growth; the idle figure before it is reported too.
      const warmup = await load(warmupSeconds(ctx.options.loadSeconds));
      if (warmup.errors > 0) throw new Error(`the warm-up load failed ${warmup.errors} requests: ${warmup.errorSamples.join('; ')}`);
      start = await mirror.memory({ gc: true });
      for (const kind of Object.keys(kinds) as (keyof typeof kinds)[]) kinds[kind] = 0;
      loop = await load(ctx.options.loadSeconds);
    } finally {
      await agent.close();
    }
    const fdsEnd = await waitForFds(mirror.pid, fdsStart, 15_000);
    const end = await mirror.memory({ gc: true });
    const perSecond = loop.requests / (loop.elapsedMs / 1000);
    ctx.log(
      `  ${loop.requests} requests in ${(loop.elapsedMs / 1000).toFixed(1)} s (${perSecond.toFixed(0)}/s; tag ${kinds.tag}, digest ${kinds.digest}, config ${kinds.config}, layer ${kinds.layer}), ${loop.errors} errors`,
    );
    ctx.log(`  fds ${fdsStart} → ${fdsEnd}; rss idle ${mib(idle.rss)}, start ${mib(start.rss)}, end ${mib(end.rss)}, peak ${mib(end.peakRss)}`);
    const scenario = `load: ${clients} clients ${ctx.options.loadSeconds}s`;
    // "Flat": after a GC the mirror holds no more than a few MiB it did not hold before.
    const growth = end.rss - start.rss;
    return [
      {
        scenario,
        metric: 'requests (tag/digest/config/layer)',
        dockmirror: `${loop.requests}, ${perSecond.toFixed(0)}/s (${kinds.tag}/${kinds.digest}/${kinds.config}/${kinds.layer})`,
        distribution: '-',
        ratio: '-',
        goal: '-',
        verdict: 'INFO',
      },
      {
        scenario,
        metric: 'failed requests',
        dockmirror: loop.errors === 0 ? '0' : `${loop.errors} (${loop.errorSamples.join('; ')})`,
        distribution: '-',
        ratio: '-',
        goal: '0',
        verdict: verdict(loop.errors === 0),
      },
      {
        scenario,
        metric: 'open fds start → end',
        dockmirror: `${fdsStart} → ${fdsEnd}`,
        distribution: '-',
        ratio: '-',
        goal: 'back to start',
        verdict: verdict(fdsEnd <= fdsStart),
      },
      {
        // What RSS cannot tell apart: a leak grows the live heap, V8 keeping pages it grew does not.
        scenario,
        metric: 'live JS heap after GC, start → end',
        dockmirror: `${mib(start.heapUsed)} → ${mib(end.heapUsed)}`,
        distribution: '-',
        ratio: '-',
        goal: '-',
        verdict: 'INFO',
      },
      {
        scenario,
        metric: 'RSS start / end / peak (GC before start, end; idle before load)',
        dockmirror: `${mib(start.rss)} / ${mib(end.rss)} / ${mib(end.peakRss)} (idle ${mib(idle.rss)})`,
        distribution: '-',
        ratio: '-',
        goal: 'end ≤ start + 16 MiB, peak < 100 MiB',
        verdict: verdict(growth <= 16 * MiB && end.peakRss < RSS_LIMIT),
      },
    ];
  });
}
