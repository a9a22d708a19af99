// The cold path over https, which is how Docker Hub's registry and CDN answer, and so how most
// users' cold pulls arrive. The rounds of the unshaped row (cold-path-scenarios.ts), against a
// second Hub stand-in that serves the same images over TLS with a test CA's certificate for
// 127.0.0.1. Dockmirror and the direct pull trust that CA through NODE_EXTRA_CA_CERTS,
// distribution through SSL_CERT_FILE: as a user with a private CA would set them up. The rows are
// INFO; issue 16's goals are set on the plain http row.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub } from '../support/hub.js';
import { makeTestCertificates } from '../support/test-ca.js';
import { coldUnshaped } from './cold-path-scenarios.js';
import { BENCH_HUB_LIMITS, type BenchContext } from './context.js';
import type { Row } from './report.js';

export async function coldHttps(ctx: BenchContext, rounds = 5): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'dockmirror-bench-tls-'));
  try {
    const { caFile, leaves } = await makeTestCertificates(dir, { loopback: 'IP:127.0.0.1' });
    const hub = await startHub({
      // As the plain stand-in in run.ts: the CDN reads distribution's files.
      ...BENCH_HUB_LIMITS,
      registryUrl: ctx.upstream.registry.url,
      blobStorageRoot: ctx.upstream.registry.rootDir,
      tls: leaves.loopback,
    });
    try {
      const overTls: BenchContext = { ...ctx, upstream: { ...ctx.upstream, url: hub.url, hub }, upstreamCaFile: caFile };
      const rows = await coldUnshaped(overTls, rounds);
      return rows.map((row) => ({ ...row, scenario: row.scenario.replace('unshaped loopback', 'https upstream on loopback'), goal: '-', verdict: 'INFO' }));
    } finally {
      await hub.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
