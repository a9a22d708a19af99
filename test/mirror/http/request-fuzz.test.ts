// Raw request lines against the real server in a child process: every request target HTTP's
// grammar allows (origin, absolute, authority and asterisk forms), odd Host and Expect headers
// and junk bytes. A request that reaches the engine must get an OCI error body, never a 5xx it
// caused itself, and after every batch the process must be alive and still answer /v2/.
// `GET //` once killed the mirror this way: new URL() threw outside the request's try.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startEngineProcess, type EngineProcess } from '../../support/cli-process.js';
import { startRegistry, type RunningRegistry } from '../../support/registry.js';

let registry: RunningRegistry;
let mirror: EngineProcess;
let workDir: string;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'dm-fuzz-'));
  registry = await startRegistry();
  mirror = await startEngineProcess({ cacheDir: join(workDir, 'cache'), upstream: registry.url, minFreeBytes: 0, connectionLimits: { perClient: 1_000 } });
});

after(async () => {
  mirror?.kill('SIGKILL');
  await mirror?.exited;
  await registry?.stop();
  await rm(workDir, { recursive: true, force: true });
});

/** Sends bytes on a fresh socket and returns everything the server wrote before it closed. */
function exchange(bytes: Buffer, timeoutMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(mirror.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    socket.setTimeout(timeoutMs, done);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', done);
    socket.end(bytes);
  });
}

/** Mulberry32: a small seeded PRNG, so a failing case can be replayed from the printed seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const known = [
  '//', '//a:b', '///', '//[', '//[::1]', '/v2//', '//v2/', '*', '', ' ', 'v2/', 'http://x/v2/', 'https://x:1/v2/',
  'http://', 'http:///', 'http://[', 'ftp://x/v2/', 'localhost:5000', 'example.com:443', '[::1]:80', '/v2/%2e%2e/x',
  '/v2/a/manifests/latest?ns=docker.io&ns=x', '/v2/a/blobs/sha256:zz', '/?', '/#frag', '/v2/\u00e9', '//@', '//a@b:c/d',
];
const pieces = ['/', '//', 'v2', '_catalog', 'manifests', 'blobs', 'tags', 'list', 'sha256:', 'a'.repeat(64), 'library', 'alpine', ':', '@', '[', ']', '%', '%00', '%2f', '?', '#', '&ns=', '..', '.', '~', 'http://', 'localhost', '127.0.0.1', '\u00ff', '*'];
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH', 'BREW', 'get', 'G\u00e9T'];
const hostHeaders = [['Host: mirror'], [], ['Host:'], ['Host: a', 'Host: b'], ['Host: [::1'], ['Host: ' + 'h'.repeat(300)]];
const extraHeaders = [[], ['Expect: 100-continue'], ['Expect: teapot'], ['Expect:'], ['Transfer-Encoding: chunked'], ['Content-Length: x'], [' folded: yes'], ['Range: bytes=0-0'], ['Authorization: Basic %%%']];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function generatedTarget(random: () => number): string {
  let target = '';
  const count = 1 + Math.floor(random() * 6);
  for (let i = 0; i < count; i++) target += pick(random, pieces);
  return target;
}

function requestBytes(random: () => number, target: string): Buffer {
  if (random() < 0.08) {
    const junk = Buffer.alloc(1 + Math.floor(random() * 200));
    for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(random() * 256);
    return junk;
  }
  const version = pick(random, ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 extra']);
  const headers = [...pick(random, hostHeaders), ...pick(random, extraHeaders)];
  const cut = random() < 0.05;
  const text = `${pick(random, methods)} ${target} ${version}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`;
  return Buffer.from(cut ? text.slice(0, Math.floor(text.length / 2)) : text, 'latin1');
}

/** What is wrong with an answer, or null: HTTP, no 5xx but an upstream's 503, OCI JSON on errors. */
function problemWith(answer: string, head: boolean): string | null {
  if (answer === '') return null; // The parser may close a connection it cannot read at all.
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer);
  if (!status) return `not an HTTP answer: ${JSON.stringify(answer.slice(0, 80))}`;
  const code = Number(status[1]);
  if (code >= 500 && code !== 503) return `status ${code}`;
  if (code >= 400) {
    const headEnd = answer.indexOf('\r\n\r\n');
    const length = /\r\ncontent-length: *(\d+)/i.exec(answer.slice(0, headEnd));
    // Only the first answer: an unfinished request body may draw a second one, for the parser's error.
    if (head) return null; // HEAD answers carry no body.
    const body = answer.slice(headEnd + 4, length ? headEnd + 4 + Number(length[1]) : undefined);
    try {
      const parsed = JSON.parse(body) as { errors?: { code?: unknown }[] };
      if (typeof parsed.errors?.[0]?.code !== 'string') return `error body without an OCI code: ${body.slice(0, 80)}`;
    } catch {
      return `error body is not JSON: ${JSON.stringify(body.slice(0, 80))}`;
    }
  }
  return null;
}

async function assertAlive(context: string): Promise<void> {
  assert.equal(mirror.child.exitCode, null, `the mirror process died ${context}:\n${mirror.stderr().slice(-2000)}`);
  const reply = await fetch(`${mirror.base}/v2/`);
  assert.equal(reply.status, 200, `the mirror stopped answering /v2/ ${context}`);
}

test('each request target that once killed the mirror gets an OCI error and the process lives', async () => {
  for (const target of known) {
    for (const method of ['GET', 'HEAD', 'CONNECT', 'OPTIONS']) {
      const answer = await exchange(Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: mirror\r\n\r\n`, 'latin1'));
      assert.equal(problemWith(answer, method === 'HEAD'), null, `${method} ${JSON.stringify(target)}`);
    }
    await assertAlive(`after ${JSON.stringify(target)}`);
  }
  for (const headers of [[], ['Host:'], ['Host: a', 'Host: b'], ['Expect: teapot']]) {
    const answer = await exchange(Buffer.from(`GET /v2/ HTTP/1.1\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`));
    assert.match(answer, /^HTTP\/1\.1 (200|4\d\d)/, `headers ${JSON.stringify(headers)}`);
    assert.equal(problemWith(answer, false), null, `headers ${JSON.stringify(headers)}`);
  }
  await assertAlive('after the header cases');
});

test('generated request lines from the whole target grammar never crash or 5xx the mirror', async () => {
  const seed = Number(process.env.DOCKMIRROR_FUZZ_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  const failures: string[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const cases = Array.from({ length: 25 }, () => {
      const target = random() < 0.2 ? pick(random, known) : generatedTarget(random);
      return requestBytes(random, target);
    });
    const answers = await Promise.all(cases.map((bytes) => exchange(bytes)));
    answers.forEach((answer, index) => {
      const problem = problemWith(answer, cases[index]!.toString('latin1').startsWith('HEAD '));
      if (problem) failures.push(`${problem} for ${JSON.stringify(cases[index]!.toString('latin1').slice(0, 120))}`);
    });
    await assertAlive(`after batch ${batch} (seed ${seed})`);
  }
  assert.deepEqual(failures.slice(0, 10), [], `seed ${seed}`);
});
