// Blob scenarios: what a cold pull costs upstream and how fast it is, eight clients on one
// uncached blob, and warm throughput from the cache. Throughput figures are medians of samples
// taken side by side, since the benchmark shares its cores with whatever else runs.
import { Agent } from 'undici';
import { pull, pullDirect, type PullResult } from './client.js';
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

/**
 * Rounds of: a direct pull, then a cold pull through each subject on a fresh cache. Other
 * processes share the machine's cores, so every figure is the median of samples taken side by
 * side; a best-of-two direct pull against single mirror pulls taken later compared moments, not
 * paths.
 */
export async function coldBlob(ctx: BenchContext, rounds = 3): Promise<Row[]> {
  const image = need(ctx.images.medium, 'the medium image');
  const layer = layerOf(image);
  const agent = new Agent();
  const directRates: number[] = [];
  const rates: PerSubject<number[]> = { dockmirror: [], distribution: [] };
  const upstreamBytes: PerSubject<number> = { dockmirror: 0, distribution: 0 };
  const cpuPerMiB: PerSubject<number[]> = { dockmirror: [], distribution: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      const benchCpu = process.cpuUsage();
      const direct = await pullDirect(agent, ctx.upstream.url, image.repository, layer.digest);
      checkIntact(direct, layer.digest, 'direct pull');
      const { user, system } = process.cpuUsage(benchCpu);
      // The stand-in and the client share this process: this is what the pull itself costs.
      const benchMsPerMiB = (user + system) / 1000 / (layer.size / MiB);
      directRates.push(mibPerSecond(layer.size, direct.ms));
      for (const name of SUBJECTS) {
        await withSubject(ctx, name, {}, async (subject) => {
          const cpuBefore = await cpuMs(subject.pid);
          const result = await pull(agent, blobUrl(subject.url, image), { hash: true });
          checkIntact(result, layer.digest, `${name} cold pull`);
          rates[name].push(mibPerSecond(result.bytes, result.ms));
          upstreamBytes[name] = Math.max(upstreamBytes[name], await settledBlobBytes(ctx, layer.digest));
          // Until the upstream went quiet: distribution fetches the blob a second time for its storage.
          cpuPerMiB[name].push((await cpuMs(subject.pid)) - cpuBefore);
        });
      }
      ctx.log(
        `  round ${round + 1}: direct ${directRates.at(-1)!.toFixed(0)} MiB/s (bench process ${benchMsPerMiB.toFixed(2)} ms CPU/MiB), dockmirror ${rates.dockmirror.at(-1)!.toFixed(0)}, distribution ${rates.distribution.at(-1)!.toFixed(0)}`,
      );
    }
  } finally {
    await agent.close();
  }
  const directRate = median(directRates);
  const rate: PerSubject<number> = { dockmirror: median(rates.dockmirror), distribution: median(rates.distribution) };
  ctx.log(`  upstream sent dockmirror ${mib(upstreamBytes.dockmirror)}, distribution ${mib(upstreamBytes.distribution)} (most in one round)`);
  const share = (name: SubjectName): number => upstreamBytes[name] / layer.size;
  const cpu = (name: SubjectName): number => median(cpuPerMiB[name]) / (layer.size / MiB);
  return [
    {
      scenario: `cold ${mib(layer.size)} blob`,
      metric: 'mirror CPU per MiB (user + system)',
      dockmirror: `${cpu('dockmirror').toFixed(2)} ms`,
      distribution: `${cpu('distribution').toFixed(2)} ms`,
      ratio: times(cpu('dockmirror') / cpu('distribution')),
      goal: '-',
      verdict: 'INFO',
    },
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
      metric: `throughput, median of ${rounds} (direct ${directRate.toFixed(0)} MiB/s)`,
      dockmirror: `${rate.dockmirror.toFixed(0)} MiB/s = ${times(rate.dockmirror / directRate)} direct`,
      distribution: `${rate.distribution.toFixed(0)} MiB/s = ${times(rate.distribution / directRate)} direct`,
      ratio: times(rate.dockmirror / rate.distribution),
      goal: '≥ 0.90× direct',
      verdict: verdict(rate.dockmirror >= 0.9 * directRate),
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
export async function warmBlob(ctx: BenchContext, rounds = 5): Promise<Row[]> {
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
