// Blob scenarios: what a cold pull costs upstream and how fast it is, eight clients on one
// uncached blob, and warm throughput from the cache. Throughput figures are medians of samples
// taken side by side, since the benchmark shares its cores with whatever else runs.
import { Agent } from 'undici';
import { pull, pullInChild, type PullResult } from './client.js';
import { blobUrl, layerOf, need, settledBlobBytes, SUBJECTS, withSubject, type BenchContext } from './context.js';
import { MiB, mib, mibPerSecond, times, verdict, type Row } from './report.js';
import { cpuMs, type SubjectName } from './subjects.js';

type PerSubject<T> = Record<SubjectName, T>;

function checkIntact(result: PullResult, digest: string, where: string): void {
  if (result.status !== 200) throw new Error(`${where}: the blob GET answered ${result.status}.`);
  if (result.digest !== undefined && result.digest !== digest) throw new Error(`${where}: the body hashed to ${result.digest}, not ${digest}.`);
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface ColdRuns {
  directRate: number;
  rate: PerSubject<number>;
  upstreamBytes: PerSubject<number>;
  cpuMsPerMiB: PerSubject<number>;
}

/**
 * Rounds of: a direct pull, then a cold pull through each subject on a fresh cache, with the
 * Hub stand-in's blob bodies on a link of `linkBytesPerSecond` (null: loopback, unshaped). Other
 * processes share the machine's cores, so every figure is the median of samples taken side by
 * side; a best-of-two direct pull against single mirror pulls taken later compared moments, not
 * paths.
 */
async function coldRuns(ctx: BenchContext, linkBytesPerSecond: number | null, rounds: number): Promise<ColdRuns> {
  const image = need(ctx.images.medium, 'the medium image');
  const warmUp = need(ctx.images.small, 'the small image');
  const layer = layerOf(image);
  const directRates: number[] = [];
  const rates: PerSubject<number[]> = { dockmirror: [], distribution: [] };
  const upstreamBytes: PerSubject<number> = { dockmirror: 0, distribution: 0 };
  const cpuPerMiB: PerSubject<number[]> = { dockmirror: [], distribution: [] };
  ctx.upstream.hub.setBlobLinkRate(linkBytesPerSecond);
  try {
    for (let round = 0; round < rounds; round++) {
      const standInCpu = process.cpuUsage();
      const direct = await pullInChild({ kind: 'direct', hubUrl: ctx.upstream.url, repository: image.repository, digest: layer.digest });
      checkIntact(direct, layer.digest, 'direct pull');
      const { user, system } = process.cpuUsage(standInCpu);
      const standInMsPerMiB = (user + system) / 1000 / (layer.size / MiB);
      directRates.push(mibPerSecond(layer.size, direct.ms));
      for (const name of SUBJECTS) {
        await withSubject(ctx, name, {}, async (subject) => {
          // A mirror that has just started pays on its first pulls for its token, its first
          // connections and code V8 has not optimised yet (its first MiBs streamed at half the
          // link's pace), which a mirror that has been running does not. So it first serves the
          // image's config blob and another image's layer, and settles; this layer stays cold.
          await pullInChild({ kind: 'mirror', url: blobUrl(subject.url, image, image.config.digest) });
          await pullInChild({ kind: 'mirror', url: blobUrl(subject.url, warmUp) });
          await settledBlobBytes(ctx, layerOf(warmUp).digest);
          const cpuBefore = await cpuMs(subject.pid);
          const result = await pullInChild({ kind: 'mirror', url: blobUrl(subject.url, image) });
          checkIntact(result, layer.digest, `${name} cold pull`);
          rates[name].push(mibPerSecond(result.bytes, result.ms));
          upstreamBytes[name] = Math.max(upstreamBytes[name], await settledBlobBytes(ctx, layer.digest));
          // Until the upstream went quiet: distribution fetches the blob a second time for its storage.
          cpuPerMiB[name].push(((await cpuMs(subject.pid)) - cpuBefore) / (layer.size / MiB));
        });
      }
      ctx.log(
        `  ${linkName(linkBytesPerSecond)}, round ${round + 1}: direct ${directRates.at(-1)!.toFixed(0)} MiB/s (Hub stand-in ${standInMsPerMiB.toFixed(2)} ms CPU/MiB), dockmirror ${rates.dockmirror.at(-1)!.toFixed(0)}, distribution ${rates.distribution.at(-1)!.toFixed(0)}`,
      );
    }
  } finally {
    ctx.upstream.hub.setBlobLinkRate(null);
  }
  ctx.log(`  upstream sent dockmirror ${mib(upstreamBytes.dockmirror)}, distribution ${mib(upstreamBytes.distribution)} (most in one round)`);
  return {
    directRate: median(directRates),
    rate: { dockmirror: median(rates.dockmirror), distribution: median(rates.distribution) },
    upstreamBytes,
    cpuMsPerMiB: { dockmirror: median(cpuPerMiB.dockmirror), distribution: median(cpuPerMiB.distribution) },
  };
}

function linkName(bytesPerSecond: number | null): string {
  return bytesPerSecond === null ? 'loopback link' : `${((bytesPerSecond * 8) / 1e6).toFixed(0)} Mbit/s link`;
}

function throughputRow(scenario: string, runs: ColdRuns, rounds: number, goal: boolean): Row {
  const { directRate, rate } = runs;
  return {
    scenario,
    metric: `throughput, median of ${rounds} (direct ${directRate.toFixed(0)} MiB/s)`,
    dockmirror: `${rate.dockmirror.toFixed(0)} MiB/s = ${times(rate.dockmirror / directRate)} direct`,
    distribution: `${rate.distribution.toFixed(0)} MiB/s = ${times(rate.distribution / directRate)} direct`,
    ratio: times(rate.dockmirror / rate.distribution),
    goal: goal ? '≥ 0.95× direct' : '-',
    verdict: goal ? verdict(rate.dockmirror >= 0.95 * directRate) : 'INFO',
  };
}

/**
 * The goal is judged with the upstream behind a WAN link (`--link-mbit`, 1 Gbit/s by default):
 * what a client pulling through the mirror loses against pulling from Docker Hub itself. The
 * same pulls over unshaped loopback follow as INFO: there the Hub stand-in, the client and the
 * mirror share two cores, so that figure measures CPU per byte, which the CPU row gives too.
 */
export async function coldBlob(ctx: BenchContext, rounds = 3): Promise<Row[]> {
  const layer = layerOf(need(ctx.images.medium, 'the medium image'));
  const linkRate = (ctx.options.linkMbit * 1e6) / 8;
  const shaped = await coldRuns(ctx, linkRate, rounds);
  const loopback = await coldRuns(ctx, null, rounds);
  const scenario = `cold ${mib(layer.size)} blob`;
  const share = (name: SubjectName): number => Math.max(shaped.upstreamBytes[name], loopback.upstreamBytes[name]) / layer.size;
  const cpu = loopback.cpuMsPerMiB;
  return [
    {
      scenario,
      metric: 'upstream bytes ÷ blob size',
      dockmirror: times(share('dockmirror')),
      distribution: times(share('distribution')),
      ratio: times(share('dockmirror') / share('distribution')),
      goal: 'Dockmirror 1.00×',
      verdict: verdict(share('dockmirror') <= 1),
    },
    throughputRow(`${scenario}, ${linkName(linkRate)}`, shaped, rounds, true),
    throughputRow(`${scenario}, ${linkName(null)}`, loopback, rounds, false),
    {
      scenario: `${scenario}, ${linkName(null)}`,
      metric: 'mirror CPU per MiB (user + system)',
      dockmirror: `${cpu.dockmirror.toFixed(2)} ms`,
      distribution: `${cpu.distribution.toFixed(2)} ms`,
      ratio: times(cpu.dockmirror / cpu.distribution),
      goal: '-',
      verdict: 'INFO',
    },
  ];
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

/**
 * Both subjects run at once, each with the blob cached, and their pulls alternate, so both are
 * measured under the same load from the rest of the machine.
 */
export async function warmBlob(ctx: BenchContext, rounds = 15): Promise<Row[]> {
  const image = need(ctx.images.medium, 'the medium image');
  const layer = layerOf(image);
  const samples: PerSubject<number[]> = { dockmirror: [], distribution: [] };
  const agent = new Agent();
  try {
    await withSubject(ctx, 'dockmirror', {}, (dockmirror) =>
      withSubject(ctx, 'distribution', {}, async (distribution) => {
        const urls: PerSubject<string> = { dockmirror: blobUrl(dockmirror.url, image), distribution: blobUrl(distribution.url, image) };
        for (const name of SUBJECTS) checkIntact(await pull(agent, urls[name], { hash: true }), layer.digest, `${name} first pull`);
        // Let distribution finish its own background fetch so the warm runs measure the cache.
        await settledBlobBytes(ctx, layer.digest);
        for (let i = 0; i < rounds; i++) {
          for (const name of i % 2 === 0 ? SUBJECTS : [...SUBJECTS].reverse()) {
            // Not hashed: the client's sha256 would cap the figure below what the mirror can do.
            const result = await pull(agent, urls[name]);
            if (result.status !== 200 || result.bytes !== layer.size) throw new Error(`${name} warm pull: HTTP ${result.status}, ${result.bytes} of ${layer.size} bytes.`);
            samples[name].push(mibPerSecond(result.bytes, result.ms));
          }
        }
      }),
    );
  } finally {
    await agent.close();
  }
  const rate: PerSubject<number> = { dockmirror: median(samples.dockmirror), distribution: median(samples.distribution) };
  for (const name of SUBJECTS) ctx.log(`  ${name}: ${rate[name].toFixed(0)} MiB/s (median of ${rounds}: ${samples[name].map((x) => x.toFixed(0)).join(', ')})`);
  return [
    {
      scenario: `warm ${mib(layer.size)} blob`,
      metric: `throughput, median of ${rounds} (alternating)`,
      dockmirror: `${rate.dockmirror.toFixed(0)} MiB/s`,
      distribution: `${rate.distribution.toFixed(0)} MiB/s`,
      ratio: times(rate.dockmirror / rate.distribution),
      goal: '≥ distribution',
      verdict: verdict(rate.dockmirror >= rate.distribution),
    },
  ];
}
