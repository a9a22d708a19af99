// Issue 16's warm row against nginx: the same cached 256 MiB blob from Dockmirror, distribution
// and Debian's nginx serving the bytes as a plain file with sendfile (started here on a free port
// with its own config in a temp folder), pulls alternating. nginx's sendfile copies page cache to
// socket in the kernel, so its figure is the practical limit of this machine's loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Agent, request } from 'undici';
import { pull } from './client.js';
import { spread, showSpread } from './cold-path-scenarios.js';
import { blobUrl, layerOf, need, settledBlobBytes, withSubject, type BenchContext } from './context.js';
import { mib, mibPerSecond, times, verdict, type Row } from './report.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

interface Nginx {
  url: string;
  stop(): Promise<void>;
}

/** One nginx process (no master, no daemon: it stays our child) serving `root` with sendfile. */
async function startNginx(dir: string, root: string): Promise<Nginx> {
  const port = await freePort();
  const config = [
    'daemon off;',
    'master_process off;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} error;`,
    'events { worker_connections 64; }',
    'http {',
    '  access_log off;',
    '  sendfile on;',
    '  tcp_nopush on;',
    `  client_body_temp_path ${join(dir, 'body')}; proxy_temp_path ${join(dir, 'proxy')}; fastcgi_temp_path ${join(dir, 'fastcgi')};`,
    `  uwsgi_temp_path ${join(dir, 'uwsgi')}; scgi_temp_path ${join(dir, 'scgi')};`,
    `  server { listen 127.0.0.1:${port}; root ${root}; }`,
    '}',
  ].join('\n');
  const configPath = join(dir, 'nginx.conf');
  await writeFile(configPath, config);
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const probe = await request(`http://127.0.0.1:${port}/`);
      await probe.body.dump();
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start: ${stderr.trim() || `exit ${child.exitCode}`}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

type Server = 'dockmirror' | 'distribution' | 'nginx';

export async function warmVersusNginx(ctx: BenchContext, rounds = 9): Promise<Row[]> {
  const image = need(ctx.images.medium, 'the medium image');
  const layer = layerOf(image);
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-bench-nginx-'));
  const samples: Record<Server, number[]> = { dockmirror: [], distribution: [], nginx: [] };
  const agent = new Agent();
  try {
    await withSubject(ctx, 'dockmirror', {}, (dockmirror) =>
      withSubject(ctx, 'distribution', {}, async (distribution) => {
        const urls: Record<Server, string> = { dockmirror: blobUrl(dockmirror.url, image), distribution: blobUrl(distribution.url, image), nginx: '' };
        for (const name of ['dockmirror', 'distribution'] as const) {
          const first = await pull(agent, urls[name], { hash: true });
          if (first.status !== 200 || first.digest !== layer.digest) throw new Error(`${name} first pull: HTTP ${first.status}`);
        }
        await settledBlobBytes(ctx, layer.digest);
        // nginx serves the same bytes, written once to a file of its own.
        const response = await request(urls.dockmirror, { dispatcher: agent });
        await pipeline(response.body, createWriteStream(join(dir, 'blob')));
        const nginx = await startNginx(dir, dir);
        urls.nginx = `${nginx.url}/blob`;
        try {
          const order: Server[] = ['dockmirror', 'distribution', 'nginx'];
          for (let i = 0; i < rounds; i++) {
            // Rotated each round, so no server always follows the same one.
            for (const name of [...order.slice(i % 3), ...order.slice(0, i % 3)]) {
              const result = await pull(agent, urls[name]);
              if (result.status !== 200 || result.bytes !== layer.size) throw new Error(`${name} warm pull: HTTP ${result.status}, ${result.bytes} of ${layer.size} bytes.`);
              samples[name].push(mibPerSecond(result.bytes, result.ms));
            }
          }
        } finally {
          await nginx.stop();
        }
      }),
    );
  } finally {
    await agent.close();
    await rm(dir, { recursive: true, force: true });
  }
  const rate = { dockmirror: spread(samples.dockmirror), distribution: spread(samples.distribution), nginx: spread(samples.nginx) };
  for (const name of ['dockmirror', 'distribution', 'nginx'] as const) ctx.log(`  ${name}: ${samples[name].map((x) => x.toFixed(0)).join(', ')} MiB/s`);
  const scenario = `warm ${mib(layer.size)} blob, vs nginx`;
  return [
    {
      scenario,
      metric: `throughput, median (range) of ${rounds}, rotating`,
      dockmirror: showSpread(rate.dockmirror, 0, 'MiB/s'),
      distribution: showSpread(rate.distribution, 0, 'MiB/s'),
      ratio: times(rate.dockmirror.median / rate.distribution.median),
      goal: '≥ 1.00× distribution',
      verdict: verdict(rate.dockmirror.median >= rate.distribution.median),
    },
    {
      scenario,
      metric: `against nginx sendfile (the physical limit here): ${showSpread(rate.nginx, 0, 'MiB/s')}`,
      dockmirror: `${times(rate.dockmirror.median / rate.nginx.median)} nginx`,
      distribution: `${times(rate.distribution.median / rate.nginx.median)} nginx`,
      ratio: '-',
      goal: '≥ 0.80× nginx',
      verdict: verdict(rate.dockmirror.median >= 0.8 * rate.nginx.median),
    },
  ];
}
