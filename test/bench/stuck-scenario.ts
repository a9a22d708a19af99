// Issue 10's stuck-client row: 1,500 clients ask for a blob and never read a byte, while one
// normal client pulls the same blob. Under a `ulimit -n` of 4096, where all 1,500 connections
// fit (with the default 1,024, 1,100 of them made the mirror unreachable before the caps), the
// normal pull must finish intact, the engine's file descriptors must come back to their count
// before the crowd, and its peak RSS must stay under 100 MiB (800 slow readers once took it from
// 77 to 250 MB). A benchmark row, not a test: the figures depend on the machine.
import { connect, type Socket } from 'node:net';
import { readFile } from 'node:fs/promises';
import { Agent } from 'undici';
import { pull } from './client.js';
import { blobUrl, layerOf, need, withDockmirror, type BenchContext } from './context.js';
import { MiB, mib, verdict, type Row } from './report.js';
import { openFds } from './subjects.js';

const STUCK_CLIENTS = 1_500;
/** Loopback addresses the crowd comes from, 50 each: below the per-address cap, as on a LAN. */
const SOURCE_ADDRESSES = 30;
const ENGINE_NOFILE = 4_096;
const RSS_LIMIT = 100 * MiB;
/** The engine's send timeout is 30 s, counted from when a socket stops draining (for some only after the crowd has arrived, ~25 s in): twice that and a margin. */
const RELEASE_WITHIN_MS = 90_000;

/** The soft open-file limit of this process: the crowd's 1,500 sockets live here too. */
async function ownFileLimit(): Promise<number> {
  const match = /^Max open files\s+(\d+)/m.exec(await readFile('/proc/self/limits', 'utf8'));
  return match ? Number(match[1]) : Infinity;
}

/** Sends the request and never reads: the answer piles up in both kernels' buffers, then in the engine. */
function stuckClient(port: number, path: string, localAddress: string): Socket {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  socket.pause();
  socket.write(`GET ${path} HTTP/1.1\r\nHost: mirror\r\n\r\n`);
  return socket;
}

async function residentMiB(pid: number): Promise<number> {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : 0;
}

async function settle(read: () => Promise<number>, target: number, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  let value = await read();
  while (value > target && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    value = await read();
  }
  return value;
}

export async function stuckClients(ctx: BenchContext): Promise<Row[]> {
  const limit = await ownFileLimit();
  if (limit < STUCK_CLIENTS + 512) {
    throw new Error(`${STUCK_CLIENTS} client sockets need a higher open-file limit in the benchmark's own process (ulimit -n is ${limit}; run it under ulimit -n 4096).`);
  }
  const image = need(ctx.images.small, 'the small image');
  const layer = layerOf(image);
  return withDockmirror(ctx, { nofile: ENGINE_NOFILE }, async (mirror) => {
    const url = blobUrl(mirror.url, image);
    const { port, pathname } = new URL(url);
    const warm = new Agent();
    try {
      // Cached first, so the crowd reads from the store as most pulls do.
      const first = await pull(warm, url, { hash: true });
      if (first.status !== 200 || first.digest !== layer.digest) throw new Error(`the warm-up pull answered ${first.status}`);
    } finally {
      await warm.close();
    }
    const startFds = await settle(() => openFds(mirror.pid), 0, 2_000);
    const idle = await mirror.memory({ resetPeak: true, gc: true });
    const began = Date.now();
    const crowd = Array.from({ length: STUCK_CLIENTS }, (_, i) => stuckClient(Number(port), pathname, `127.0.1.${1 + (i % SOURCE_ADDRESSES)}`));
    let pullOk = false;
    let pullMs = 0;
    let peakFds = 0;
    const timeline: string[] = [];
    const sampler = setInterval(() => {
      void Promise.all([openFds(mirror.pid), residentMiB(mirror.pid)]).then(([n, rss]) => {
        peakFds = Math.max(peakFds, n);
        timeline.push(`${((Date.now() - began) / 1000).toFixed(0)}s:${n}/${rss}`);
      }, () => {});
    }, 1_000);
    let heldAtEnd = 0;
    let letGoMs = 0;
    try {
      // Once the crowd has connected and asked, a normal client pulls the same blob beside it.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const agent = new Agent({ localAddress: '127.0.0.1' });
      try {
        const result = await pull(agent, url, { hash: true });
        pullOk = result.status === 200 && result.digest === layer.digest;
        pullMs = result.ms;
      } catch (error) {
        ctx.log(`  the normal pull failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await agent.close();
      }
      // The mirror must let the crowd go by itself (send timeout, caps) while it still hangs on:
      // a closed connection with unread data shows no close on a paused client, so the mirror's
      // own fds tell.
      heldAtEnd = await settle(() => openFds(mirror.pid), startFds, Math.max(0, RELEASE_WITHIN_MS - (Date.now() - began)));
      letGoMs = Date.now() - began;
    } finally {
      clearInterval(sampler);
      for (const socket of crowd) socket.destroy();
    }
    ctx.log(`  mirror fds/RSS MiB each second: ${timeline.join(' ')}`);
    const endFds = await settle(() => openFds(mirror.pid), startFds, 10_000);
    const memory = await mirror.memory();
    ctx.log(`  normal pull ${pullOk ? 'intact' : 'FAILED'} in ${(pullMs / 1000).toFixed(1)} s; fds ${startFds} → peak ${peakFds} → ${endFds}; peak RSS ${mib(memory.peakRss)} (idle ${mib(idle.rss)}: V8 heap ${mib(idle.atPeak.heapTotal)}, external ${mib(idle.atPeak.external)}; at the peak V8 heap ${mib(memory.atPeak.heapTotal)} of which ${mib(memory.atPeak.heapUsed)} used, external ${mib(memory.atPeak.external)} of which ArrayBuffers ${mib(memory.atPeak.arrayBuffers)})`);
    const scenario = `${STUCK_CLIENTS} non-reading + pull, nofile ${ENGINE_NOFILE}`;
    const row = (metric: string, dockmirror: string, goal: string, ok: boolean | null): Row => ({
      scenario, metric, dockmirror, distribution: '-', ratio: '-', goal, verdict: ok === null ? 'INFO' : verdict(ok),
    });
    return [
      row(`normal pull of ${mib(layer.size)} (sha256)`, pullOk ? `intact, ${(pullMs / 1000).toFixed(1)} s` : 'failed', 'finishes intact', pullOk),
      row('mirror fds start → peak → with the crowd still connected', `${startFds} → ${peakFds} → ${heldAtEnd} after ${(letGoMs / 1000).toFixed(0)} s`, 'back to start', heldAtEnd <= startFds),
      row('mirror fds after the crowd left', `${endFds}`, 'back to start', endFds <= startFds),
      row('mirror peak RSS (50 ms samples)', mib(memory.peakRss), '< 100 MiB', memory.peakRss < RSS_LIMIT),
    ];
  });
}
