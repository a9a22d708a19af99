// Issue 16's cold-path rows: a cold 256 MiB blob on unshaped loopback, one client, Dockmirror and
// distribution in alternating rounds (throughput, the engine's CPU per MiB, time to first byte
// against a direct pull, upstream bytes; and, as INFO, the CPU used while the client pulled and
// how long Dockmirror's event loop waited for a CPU), and the same cold pull with the engine
// pinned to one core and to two with taskset. Medians with the range across rounds: the
// machine's two cores are shared with the Hub stand-in, the client and whatever else runs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pullInChild, type PullResult } from './client.js';
import { blobUrl, layerOf, need, settledBlobBytes, SUBJECTS, withSubject, type BenchContext } from './context.js';
import { MiB, mib, mibPerSecond, times, verdict, type Row } from './report.js';
import { cpuMs, mainThreadSchedule, type Subject, type SubjectName } from './subjects.js';

const execFileAsync = promisify(execFile);

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(samples: number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export function showSpread(value: Spread, digits: number, unit: string): string {
  return `${value.median.toFixed(digits)} ${unit} (${value.min.toFixed(digits)}–${value.max.toFixed(digits)})`;
}

/** A difference in ms with its sign: "+1.2 ms", "−0.3 ms" (a plain "+" printed "+-0.3"). */
function signedMs(ms: number): string {
  return `${ms < 0 ? '−' : '+'}${Math.abs(ms).toFixed(1)} ms`;
}

interface ColdSample {
  rate: number;
  cpuMsPerMiB: number;
  /** Only while the client pulled (distribution's second fetch runs partly after it). */
  cpuMsPerMiBDuringPull: number;
  /** The main thread during the pull: on a CPU, and runnable but waiting for one. */
  mainRanMs: number;
  mainWaitedMs: number;
  pullMs: number;
  firstByteMs: number;
  /** From the client's first request, its /v2/ ping: the cold client's own start-up included, as this row measured it before the ping. */
  firstByteColdClientMs: number;
  upstreamBytes: number;
}

function checkIntact(result: PullResult, digest: string, where: string): void {
  if (result.status !== 200 || result.digest !== digest) throw new Error(`${where}: HTTP ${result.status}, body hashed to ${result.digest ?? 'nothing'}, not ${digest}.`);
}

/**
 * One cold pull through a fresh subject, warmed up as coldBlob's are (its token, connections
 * and optimised code are not billed to the layer). `prepare` runs on the started subject first
 * (taskset pins it there).
 */
async function coldSample(ctx: BenchContext, name: SubjectName, prepare?: (subject: Subject) => Promise<void>): Promise<ColdSample> {
  const image = need(ctx.images.medium, 'the medium image');
  const warmUp = need(ctx.images.small, 'the small image');
  const layer = layerOf(image);
  return withSubject(ctx, name, {}, async (subject) => {
    await prepare?.(subject);
    await pullInChild({ kind: 'mirror', url: blobUrl(subject.url, image, image.config.digest) });
    await pullInChild({ kind: 'mirror', url: blobUrl(subject.url, warmUp) });
    await settledBlobBytes(ctx, layerOf(warmUp).digest);
    const cpuBefore = await cpuMs(subject.pid);
    const scheduleBefore = await mainThreadSchedule(subject.pid);
    const result = await pullInChild({ kind: 'mirror', url: blobUrl(subject.url, image), ping: `${subject.url}/v2/` });
    const cpuDuringPull = (await cpuMs(subject.pid)) - cpuBefore;
    const scheduleAfter = await mainThreadSchedule(subject.pid);
    checkIntact(result, layer.digest, `${name} cold pull`);
    // Until the upstream went quiet: distribution fetches the blob a second time for its storage.
    const upstreamBytes = await settledBlobBytes(ctx, layer.digest);
    const cpu = (await cpuMs(subject.pid)) - cpuBefore;
    return {
      rate: mibPerSecond(result.bytes, result.ms),
      cpuMsPerMiB: cpu / (layer.size / MiB),
      cpuMsPerMiBDuringPull: cpuDuringPull / (layer.size / MiB),
      mainRanMs: scheduleAfter.ranMs - scheduleBefore.ranMs,
      mainWaitedMs: scheduleAfter.waitedMs - scheduleBefore.waitedMs,
      pullMs: result.ms,
      firstByteMs: result.firstByteMs ?? NaN,
      firstByteColdClientMs: result.firstByteFromPingMs ?? NaN,
      upstreamBytes,
    };
  });
}

export async function coldUnshaped(ctx: BenchContext, rounds = 5): Promise<Row[]> {
  const image = need(ctx.images.medium, 'the medium image');
  const layer = layerOf(image);
  ctx.upstream.hub.setBlobLinkRate(null);
  const samples: Record<SubjectName, ColdSample[]> = { dockmirror: [], distribution: [] };
  const direct: PullResult[] = [];
  for (let round = 0; round < rounds; round++) {
    const result = await pullInChild({ kind: 'direct', hubUrl: ctx.upstream.url, repository: image.repository, digest: layer.digest }, ctx.upstreamCaFile);
    checkIntact(result, layer.digest, 'direct pull');
    direct.push(result);
    // Alternating order, so neither subject always runs right after the direct pull.
    for (const name of round % 2 === 0 ? SUBJECTS : [...SUBJECTS].reverse()) samples[name].push(await coldSample(ctx, name));
    const last = (name: SubjectName): ColdSample => samples[name].at(-1)!;
    ctx.log(
      `  round ${round + 1}: direct ${mibPerSecond(result.bytes, result.ms).toFixed(0)} MiB/s, first byte ${result.firstByteMs?.toFixed(1)} ms; ` +
        SUBJECTS.map((name) => `${name} ${last(name).rate.toFixed(0)} MiB/s, ${last(name).cpuMsPerMiB.toFixed(2)} ms CPU/MiB, first byte ${last(name).firstByteMs.toFixed(1)} ms`).join('; '),
    );
  }
  const of = (name: SubjectName, pick: (sample: ColdSample) => number): Spread => spread(samples[name].map(pick));
  // Ratios of medians, and the median of each round's own ratio (both measured moments apart).
  const roundRatio = (pick: (sample: ColdSample) => number): Spread => spread(samples.dockmirror.map((sample, i) => pick(sample) / pick(samples.distribution[i]!)));
  const rate = { dockmirror: of('dockmirror', (s) => s.rate), distribution: of('distribution', (s) => s.rate) };
  const cpu = { dockmirror: of('dockmirror', (s) => s.cpuMsPerMiB), distribution: of('distribution', (s) => s.cpuMsPerMiB) };
  const firstByte = { dockmirror: of('dockmirror', (s) => s.firstByteMs), distribution: of('distribution', (s) => s.firstByteMs) };
  const coldClient = { dockmirror: of('dockmirror', (s) => s.firstByteColdClientMs), distribution: of('distribution', (s) => s.firstByteColdClientMs) };
  const directFirstByte = spread(direct.map((result) => result.firstByteMs ?? NaN));
  const directRate = spread(direct.map((result) => mibPerSecond(result.bytes, result.ms)));
  const upstream = { dockmirror: Math.max(...samples.dockmirror.map((s) => s.upstreamBytes)), distribution: Math.max(...samples.distribution.map((s) => s.upstreamBytes)) };
  const rateRatios = roundRatio((s) => s.rate);
  const cpuRatios = roundRatio((s) => s.cpuMsPerMiB);
  const cpuDuringPull = { dockmirror: of('dockmirror', (s) => s.cpuMsPerMiBDuringPull), distribution: of('distribution', (s) => s.cpuMsPerMiBDuringPull) };
  const loop = { ran: of('dockmirror', (s) => s.mainRanMs), waited: of('dockmirror', (s) => s.mainWaitedMs), pull: of('dockmirror', (s) => s.pullMs) };
  const scenario = `cold ${mib(layer.size)}, unshaped loopback, 1 client`;
  return [
    {
      scenario,
      metric: `throughput, median (range) of ${rounds} alternating; direct ${showSpread(directRate, 0, 'MiB/s')}`,
      dockmirror: showSpread(rate.dockmirror, 0, 'MiB/s'),
      distribution: showSpread(rate.distribution, 0, 'MiB/s'),
      ratio: `${times(rate.dockmirror.median / rate.distribution.median)} (rounds ${times(rateRatios.min)}–${times(rateRatios.max)})`,
      goal: '≥ 1.00× distribution',
      verdict: verdict(rate.dockmirror.median >= rate.distribution.median),
    },
    {
      scenario,
      metric: 'upstream bytes ÷ blob size (most in a round)',
      dockmirror: times(upstream.dockmirror / layer.size),
      distribution: times(upstream.distribution / layer.size),
      ratio: times(upstream.dockmirror / upstream.distribution),
      goal: 'Dockmirror 1.00×',
      verdict: verdict(upstream.dockmirror <= layer.size),
    },
    {
      scenario,
      metric: 'engine CPU per MiB (user + system, /proc/<pid>/stat)',
      dockmirror: showSpread(cpu.dockmirror, 2, 'ms'),
      distribution: showSpread(cpu.distribution, 2, 'ms'),
      ratio: `${times(cpu.dockmirror.median / cpu.distribution.median)} (rounds ${times(cpuRatios.min)}–${times(cpuRatios.max)})`,
      goal: '≤ distribution',
      verdict: verdict(cpu.dockmirror.median <= cpu.distribution.median),
    },
    {
      // The row above counts until the upstream went quiet, so distribution's second fetch is in
      // it; this one stops at the client's last byte, which is the CPU that competed with the pull.
      scenario,
      metric: 'engine CPU per MiB while the client pulled (all threads, request to last byte)',
      dockmirror: showSpread(cpuDuringPull.dockmirror, 2, 'ms'),
      distribution: showSpread(cpuDuringPull.distribution, 2, 'ms'),
      ratio: times(cpuDuringPull.dockmirror.median / cpuDuringPull.distribution.median),
      goal: '-',
      verdict: 'INFO',
    },
    {
      scenario,
      metric: "Dockmirror's event-loop thread during the pull (schedstat): on a CPU / runnable but waiting for one",
      dockmirror: `${showSpread(loop.ran, 0, 'ms')} / ${showSpread(loop.waited, 0, 'ms')} of ${loop.pull.median.toFixed(0)} ms`,
      distribution: '-',
      ratio: '-',
      goal: '-',
      verdict: 'INFO',
    },
    {
      scenario,
      metric: `time to first byte from the client's first request (as before); direct ${showSpread(directFirstByte, 1, 'ms')}`,
      dockmirror: showSpread(coldClient.dockmirror, 1, 'ms'),
      distribution: showSpread(coldClient.distribution, 1, 'ms'),
      ratio: `${signedMs(coldClient.dockmirror.median - directFirstByte.median)} vs direct`,
      goal: '≤ direct + 5 ms',
      verdict: verdict(coldClient.dockmirror.median <= directFirstByte.median + 5),
    },
    {
      scenario,
      metric: `time to first byte after the client's /v2/ ping, as the direct pull is timed; direct ${showSpread(directFirstByte, 1, 'ms')}`,
      dockmirror: showSpread(firstByte.dockmirror, 1, 'ms'),
      distribution: showSpread(firstByte.distribution, 1, 'ms'),
      ratio: `${signedMs(firstByte.dockmirror.median - directFirstByte.median)} vs direct`,
      goal: '≤ direct + 5 ms',
      verdict: verdict(firstByte.dockmirror.median <= directFirstByte.median + 5),
    },
  ];
}

/** Pins every thread of the process (the engine's libuv pool too) to the given CPUs. */
async function pin(pid: number, cpus: string): Promise<void> {
  await execFileAsync('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
}

/**
 * The engine's cold pull with all its threads on one core, then on two, alternating. The Hub
 * stand-in and the client stay free to run anywhere, so with one core the engine's hashing, disk
 * writes and sends compete only with each other.
 */
export async function coldCores(ctx: BenchContext, rounds = 3): Promise<Row[]> {
  const layer = layerOf(need(ctx.images.medium, 'the medium image'));
  const settings = [
    { label: '1 core (taskset -c 0)', cpus: '0' },
    { label: '2 cores (taskset -c 0,1)', cpus: '0,1' },
  ];
  const samples = new Map<string, ColdSample[]>(settings.map((setting) => [setting.label, []]));
  for (let round = 0; round < rounds; round++) {
    for (const setting of round % 2 === 0 ? settings : [...settings].reverse()) {
      const sample = await coldSample(ctx, 'dockmirror', (subject) => pin(subject.pid, setting.cpus));
      samples.get(setting.label)!.push(sample);
      ctx.log(`  round ${round + 1}, ${setting.label}: ${sample.rate.toFixed(0)} MiB/s, ${sample.cpuMsPerMiB.toFixed(2)} ms CPU/MiB`);
    }
  }
  const one = samples.get(settings[0]!.label)!;
  const two = samples.get(settings[1]!.label)!;
  const oneRate = spread(one.map((s) => s.rate));
  const twoRate = spread(two.map((s) => s.rate));
  return settings.map((setting) => {
    const rows = samples.get(setting.label)!;
    const rate = spread(rows.map((s) => s.rate));
    const cpu = spread(rows.map((s) => s.cpuMsPerMiB));
    return {
      scenario: `cold ${mib(layer.size)}, engine on ${setting.label}`,
      metric: `throughput and engine CPU per MiB, median (range) of ${rounds}`,
      dockmirror: `${showSpread(rate, 0, 'MiB/s')}, ${showSpread(cpu, 2, 'ms/MiB')}`,
      distribution: '-',
      ratio: setting.cpus === '0' ? '1.00×' : `${times(twoRate.median / oneRate.median)} of 1 core`,
      goal: '-',
      verdict: 'INFO',
    };
  });
}
