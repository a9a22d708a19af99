// One upstream request in a process of its own, so that a test can start it with
// NODE_EXTRA_CA_CERTS: Node reads the CAs it trusts once, at start, and tls.connect and
// node:https both take them from there, as they do for a user whose registry has a private CA.
// The request comes as JSON in argv[2]; what came back is printed as JSON on stdout.
import { createHash } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { UpstreamHttp, type RequestLimits } from '../../mirror/upstream/http-request.js';

export interface FetchRequest {
  url: string;
  method?: string;
  limits?: RequestLimits;
  /** Asked this many times in a row, each printed. */
  times?: number;
}

export type FetchOutcome =
  /** `chunks`: how many pieces the body came in, read with 'data' as the blob download reads. */
  | { statusCode: number; bytes: number; chunks: number; sha256: string; viaNode: boolean }
  | { error: string; code?: string };

async function fetchOnce(http: UpstreamHttp, request: FetchRequest): Promise<FetchOutcome> {
  try {
    const response = await http.request(new URL(request.url), request.method ?? 'GET', {}, request.limits ?? {});
    const hash = createHash('sha256');
    let bytes = 0;
    let chunks = 0;
    await new Promise<void>((resolve, reject) => {
      response.body.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
        chunks++;
      });
      response.body.once('end', resolve);
      response.body.once('error', reject);
    });
    return { statusCode: response.statusCode, bytes, chunks, sha256: hash.digest('hex'), viaNode: response.body instanceof IncomingMessage };
  } catch (error) {
    return { error: (error as Error).message, code: (error as { code?: string }).code };
  }
}

const request = JSON.parse(process.argv[2] ?? '{}') as FetchRequest;
const http = new UpstreamHttp({ connectMs: 2_000, idleMs: 2_000 });
const outcomes: FetchOutcome[] = [];
for (let i = 0; i < (request.times ?? 1); i++) outcomes.push(await fetchOnce(http, request));
http.close();
process.stdout.write(JSON.stringify(outcomes));
