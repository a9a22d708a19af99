// Blob scenarios: what a cold pull costs upstream and how fast it is, eight clients on one
// uncached blob, and warm throughput from the cache.
import { Agent } from 'undici';
import { pull, pullDirect, type PullResult } from './client.js';
import { blobUrl, layerOf, need, settledBlobBytes, SUBJECTS, withSubject, type BenchContext } from './context.js';
import { mib, mibPerSecond, times, verdict, type Row } from './report.js';
import type { SubjectName } from './subjects.js';

type PerSubject<T> = Record<SubjectName, T>;

function checkIntact(result: PullResult, digest: string, where: string): void {
  if (result.status !== 200) throw new Error(`${where}: the blob GET answered ${result.status}.`);
  if (result.digest !== undefined && result.digest !== digest) throw new Error(`${where}: the body hashed to ${result.digest}, not ${digest}.`);
}

export async function coldBlob(ctx: BenchContext): Promise<Row[]> {
  const image = need(ctx.images.medium, 'the medium image');
  const layer = layerOf(image);
  const agent = new Agent();
  try {
    // Direct baseline: best of two, so the goal is measured against the upstream at its fastest.
    let direct = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 2; i++) {
      const result = await pullDirect(agent, ctx.upstream.url, image.repository, layer.digest);
      checkIntact(result, layer.digest, 'direct pull');
      direct = Math.min(direct, result.ms);
    }
    const directRate = mibPerSecond(layer.size, direct);
    ctx.log(`  direct from the stand-in: ${directRate.toFixed(0)} MiB/s`);
    const upstreamBytes = {} as PerSubject<number>;
    const rate = {} as PerSubject<number>;
    for (const name of SUBJECTS) {
      await withSubject(ctx, name, {}, async (subject) => {
        const result = await pull(agent, blobUrl(subject.url, image), { hash: true });
        checkIntact(result, layer.digest, `${name} cold pull`);
        rate[name] = mibPerSecond(result.bytes, result.ms);
        upstreamBytes[name] = await settledBlobBytes(ctx, layer.digest);
      });
      ctx.log(`  ${name}: ${rate[name].toFixed(0)} MiB/s, upstream sent ${mib(upstreamBytes[name])}`);
    }
    const share = (name: SubjectName): number => upstreamBytes[name] / layer.size;
    return [
      {
        scenario: `cold ${mib(layer.size)} blob`,
        metric: 'upstream bytes ÷ blob size',
        dockmirror: times(share('dockmirror')),
        distribution: times(share('distribution')),
        ratio: times(share('dockmirror') / share('distribution')),
        goal: 'Dockmirror 1.00×',
        verdict: verdict(upstreamBytes.dockmirror <= layer.size),
      },
      {
        scenario: `cold ${mib(layer.size)} blob`,
        metric: `throughput (direct ${directRate.toFixed(0)} MiB/s)`,
        dockmirror: `${rate.dockmirror.toFixed(0)} MiB/s = ${times(rate.dockmirror / directRate)} direct`,
        distribution: `${rate.distribution.toFixed(0)} MiB/s = ${times(rate.distribution / directRate)} direct`,
        ratio: times(rate.dockmirror / rate.distribution),
        goal: '≥ 0.90× direct',
        verdict: verdict(rate.dockmirror >= 0.9 * directRate),
      },
    ];
  } finally {
    await agent.close();
  }
}

export async function concurrentClients(ctx: BenchContext, clients = 8): Promise<Row[]> {
  const image = need(ctx.images.small, 'the small image');
  const layer = layerOf(image);
  const upstreamBytes = {} as PerSubject<number>;
  const intact = {} as PerSubject<number>;
  for (const name of SUBJECTS) {
    // One agent per run: every client gets its own connection, as separate hosts would.
    const agent = new Agent();
    try {
      await withSubject(ctx, name, {}, async (subject) => {
        const results = await Promise.allSettled(Array.from({ length: clients }, () => pull(agent, blobUrl(subject.url, image), { hash: true })));
        intact[name] = results.filter((r) => r.status === 'fulfilled' && r.value.status === 200 && r.value.digest === layer.digest).length;
        upstreamBytes[name] = await settledBlobBytes(ctx, layer.digest);
      });
    } finally {
      await agent.close();
    }
    ctx.log(`  ${name}: ${intact[name]}/${clients} intact, upstream sent ${mib(upstreamBytes[name])}`);
  }
  const share = (name: SubjectName): number => upstreamBytes[name] / layer.size;
  const scenario = `${clients} clients, cold ${mib(layer.size)}`;
  return [
    {
      scenario,
      metric: 'upstream bytes ÷ blob size',
      dockmirror: times(share('dockmirror')),
      distribution: times(share('distribution')),
      ratio: times(share('dockmirror') / share('distribution')),
      goal: 'Dockmirror 1.00×',
      verdict: verdict(upstreamBytes.dockmirror <= layer.size),
    },
    {
      scenario,
      metric: 'bodies intact (sha256)',
      dockmirror: `${intact.dockmirror}/${clients}`,
      distribution: `${intact.distribution}/${clients}`,
      ratio: '-',
      goal: `${clients}/${clients}`,
      verdict: verdict(intact.dockmirror === clients),
    },
  ];
}

export async function warmBlob(ctx: BenchContext, rounds = 3): Promise<Row[]> {
  const image = need(ctx.images.medium, 'the medium image');
  const layer = layerOf(image);
  const rate = {} as PerSubject<number>;
  const agent = new Agent();
  try {
    for (const name of SUBJECTS) {
      await withSubject(ctx, name, {}, async (subject) => {
        const url = blobUrl(subject.url, image);
        checkIntact(await pull(agent, url, { hash: true }), layer.digest, `${name} first pull`);
        // Let distribution finish its own background fetch so the warm runs measure the cache.
        await settledBlobBytes(ctx, layer.digest);
        const samples: number[] = [];
        for (let i = 0; i < rounds; i++) {
          // Not hashed: the client's sha256 would cap the figure below what the mirror can do.
          const result = await pull(agent, url);
          if (result.status !== 200 || result.bytes !== layer.size) throw new Error(`${name} warm pull: HTTP ${result.status}, ${result.bytes} of ${layer.size} bytes.`);
          samples.push(mibPerSecond(result.bytes, result.ms));
        }
        samples.sort((a, b) => a - b);
        rate[name] = samples[Math.floor(samples.length / 2)]!;
      });
      ctx.log(`  ${name}: ${rate[name].toFixed(0)} MiB/s (median of ${rounds})`);
    }
  } finally {
    await agent.close();
  }
  return [
    {
      scenario: `warm ${mib(layer.size)} blob`,
      metric: `throughput, median of ${rounds}`,
      dockmirror: `${rate.dockmirror.toFixed(0)} MiB/s`,
      distribution: `${rate.distribution.toFixed(0)} MiB/s`,
      ratio: times(rate.dockmirror / rate.distribution),
      goal: '≥ distribution',
      verdict: verdict(rate.dockmirror >= rate.distribution),
    },
  ];
}
