// One timed blob pull in a process of its own, printed as JSON on stdout. The cold scenario pulls
// from here so the client does not share an event loop with the Hub stand-in: a registry client
// runs on another host than Docker Hub, and in one process each held the other back.
import { Agent } from 'undici';
import { pull, pullDirect, type PullResult } from './client.js';

/**
 * `ping`: a URL (the subject's `/v2/`) asked first on the same connection, as every registry
 * client does before a pull; the timed pull then starts warm, as the direct pull's timed GET
 * does after its 401 and token requests.
 */
export type PullRequest =
  | { kind: 'direct'; hubUrl: string; repository: string; digest: string }
  | { kind: 'mirror'; url: string; bytesPerSecond?: number; stopAfterMs?: number; ping?: string };

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? 'null') as PullRequest | null;
  if (request === null) throw new Error('pull-child needs a pull request as its argument.');
  const agent = new Agent();
  try {
    if (request.kind === 'direct') {
      process.stdout.write(JSON.stringify(await pullDirect(agent, request.hubUrl, request.repository, request.digest)));
      return;
    }
    const pinged = performance.now();
    if (request.ping) await (await agent.request({ origin: new URL(request.ping).origin, path: new URL(request.ping).pathname, method: 'GET' })).body.dump();
    const pingMs = performance.now() - pinged;
    const result: PullResult = await pull(agent, request.url, { hash: true, bytesPerSecond: request.bytesPerSecond, stopAfterMs: request.stopAfterMs });
    if (request.ping && result.firstByteMs !== undefined) result.firstByteFromPingMs = pingMs + result.firstByteMs;
    process.stdout.write(JSON.stringify(result));
  } finally {
    await agent.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
