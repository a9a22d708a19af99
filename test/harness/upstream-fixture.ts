// The hub stand-in and skopeo for the harness's own tests: one test upstream per file, a work
// folder with an empty auth file (so skopeo never finds credentials stored on this machine),
// and the checks that what a client copied is byte for byte what was pushed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import type { HubStandIn } from '../support/hub.js';
import { blobsOf, sha256, type PushedImage } from '../support/images.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

const run = promisify(execFile);
const SKOPEO = '/usr/bin/skopeo';

export interface UpstreamFixture {
  readonly up: TestUpstream;
  readonly work: string;
  skopeo(args: string[]): Promise<string>;
  /** skopeo's failure message, or a test failure when it unexpectedly succeeded. */
  skopeoFails(args: string[]): Promise<string>;
}

/** Registers the file's before/after hooks and hands out the upstream and skopeo they set up. */
export function upstreamFixture(): UpstreamFixture {
  const held: { up?: TestUpstream; work?: string } = {};
  before(async () => {
    held.work = await mkdtemp(join(tmpdir(), 'dockmirror-upstream-test-'));
    await writeFile(join(held.work, 'auth.json'), '{}');
    held.up = await startTestUpstream();
  });
  after(async () => {
    await held.up?.close();
    if (held.work) await rm(held.work, { recursive: true, force: true });
  });
  const skopeo = async (args: string[]): Promise<string> => {
    const { stdout } = await run(SKOPEO, args, {
      env: { ...process.env, REGISTRY_AUTH_FILE: join(held.work!, 'auth.json') },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  };
  return {
    get up() {
      return held.up!;
    },
    get work() {
      return held.work!;
    },
    skopeo,
    async skopeoFails(args) {
      try {
        await skopeo(args);
      } catch (error) {
        return String((error as { stderr?: string }).stderr ?? error);
      }
      assert.fail(`skopeo ${args.join(' ')} succeeded but should have failed`);
    },
  };
}

export function hostOf(url: string): string {
  return new URL(url).host;
}

/** Checks a skopeo `dir:` copy: manifests byte for byte, every blob hashing to its digest. */
export async function assertDirHolds(dir: string, image: PushedImage): Promise<void> {
  const top = await readFile(join(dir, 'manifest.json'));
  assert.equal(sha256(top), image.digest);
  assert.deepEqual(top, image.bytes);
  if (image.kind === 'index') {
    for (const child of image.manifests) {
      const bytes = await readFile(join(dir, `${child.digest.slice(7)}.manifest.json`));
      assert.deepEqual(bytes, child.bytes);
    }
  }
  for (const blob of blobsOf(image)) {
    const bytes = await readFile(join(dir, blob.digest.slice(7)));
    assert.equal(bytes.length, blob.size, `size of ${blob.digest}`);
    assert.equal(sha256(bytes), blob.digest);
  }
}

export async function anonymousToken(hub: HubStandIn, repository: string): Promise<string> {
  const response = await fetch(`${hub.realm}?service=${hub.service}&scope=repository:${repository}:pull`);
  assert.equal(response.status, 200);
  const body = (await response.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
  assert.equal(body.token, body.access_token);
  assert.equal(typeof body.expires_in, 'number');
  assert.ok(!Number.isNaN(Date.parse(body.issued_at)));
  return body.token;
}
