// One timed blob pull in a process of its own, printed as JSON on stdout. The cold scenario pulls
// from here so the client does not share an event loop with the Hub stand-in: a registry client
// runs on another host than Docker Hub, and in one process each held the other back.
import { Agent } from 'undici';
import { pull, pullDirect, type PullResult } from './client.js';

export type PullRequest = { kind: 'direct'; hubUrl: string; repository: string; digest: string } | { kind: 'mirror'; url: string; bytesPerSecond?: number; stopAfterMs?: number };

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? 'null') as PullRequest | null;
  if (request === null) throw new Error('pull-child needs a pull request as its argument.');
  const agent = new Agent();
  try {
    const result: PullResult =
      request.kind === 'direct' ? await pullDirect(agent, request.hubUrl, request.repository, request.digest) : await pull(agent, request.url, { hash: true, bytesPerSecond: request.bytesPerSecond, stopAfterMs: request.stopAfterMs });
    process.stdout.write(JSON.stringify(result));
  } finally {
    await agent.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
