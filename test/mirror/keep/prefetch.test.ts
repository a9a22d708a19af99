// Prefetch: image lists read from a real docker-compose.yml, multi-document Kubernetes YAML and a
// Dockerfile; and `dockmirror prefetch --mirror URL --from FILE` against a running `dockmirror
// serve` on the Docker Hub stand-in, after which a client's pull costs the upstream nothing.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { imagesFromText } from '../../../main/prefetch/image-lists.js';
import { spawnCli, startServeCli } from '../../support/cli-process.js';
import { startTestUpstream, type TestUpstream } from '../../support/upstream.js';
import { pullImage } from './pull-helpers.js';

const digest = `sha256:${'ab'.repeat(32)}`;

const compose = `
x-common: &common
  restart: unless-stopped
services:
  web:
    <<: *common
    image: "nginx:1.27-alpine"
  api:
    image: ghcr.io/acme/api:2.1.0
    build: ./api
  db:
    image: postgres@${digest}
  cache:
    image: localhost:5000/team/redis:7
  builder:
    build: .
volumes:
  data: {}
`;

const kubernetes = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: shop }
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: registry.k8s.io/e2e-test-images/busybox:1.29-4
      containers:
        - name: app
          image: quay.io/acme/shop@${digest}
        - name: sidecar
          image: nginx:1.27-alpine
---
# a comment-only document between
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: nightly }
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: job
              image: 'mcr.microsoft.com/dotnet/runtime:8.0'
---
apiVersion: v1
kind: Pod
metadata: { name: debug }
spec:
  containers: [{ name: shell, image: alpine }]
  ephemeralContainers: [{ name: dbg, image: busybox:1.36 }]
`;

const dockerfile = `# syntax=docker/dockerfile:1
ARG BASE=debian:12
FROM --platform=$BUILDPLATFORM golang:1.22 AS build
RUN go build ./...
FROM build AS test
FROM \${BASE}
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out /app
`;

test('every image of a compose file, Kubernetes YAML (all documents, init and ephemeral containers) and a Dockerfile is found', () => {
  assert.deepEqual(imagesFromText(compose, 'docker-compose.yml'), ['nginx:1.27-alpine', 'ghcr.io/acme/api:2.1.0', `postgres@${digest}`, 'localhost:5000/team/redis:7']);
  assert.deepEqual(imagesFromText(kubernetes, 'k8s/app.yaml'), [
    'registry.k8s.io/e2e-test-images/busybox:1.29-4',
    `quay.io/acme/shop@${digest}`,
    'nginx:1.27-alpine',
    'mcr.microsoft.com/dotnet/runtime:8.0',
    'alpine',
    'busybox:1.36',
  ]);
  assert.deepEqual(imagesFromText(dockerfile, 'Dockerfile'), ['golang:1.22', 'gcr.io/distroless/static-debian12:nonroot']);
  assert.deepEqual(imagesFromText('# for the trip\nalpine:3.20\nnginx, redis:7\n'), ['alpine:3.20', 'nginx', 'redis:7']);
  assert.throws(() => imagesFromText('services:\n  web: [unclosed\n', 'compose.yml'), /compose\.yml cannot be read/);
});

let upstream: TestUpstream;
let dir: string;

before(async () => {
  upstream = await startTestUpstream();
  dir = await mkdtemp(join(tmpdir(), 'dockmirror-prefetch-'));
});

after(async () => {
  await upstream?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('dockmirror prefetch asks the running mirror, shows each image and layer, and the next pull costs the upstream nothing', async (t) => {
  const { alpine, sharedA } = upstream.images;
  const cli = await startServeCli(['--cache', join(dir, 'cache'), '--upstream', upstream.url, '--min-free', '0']);
  t.after(async () => {
    cli.kill('SIGTERM');
    await cli.exited;
  });
  const file = join(dir, 'docker-compose.yml');
  await writeFile(file, `services:\n  a:\n    image: alpine-test\n  b:\n    image: docker.io/${sharedA.repository}@${sharedA.digest}\n`);
  const run = await spawnCli(['prefetch', '--mirror', cli.base, '--from', file]).exited;
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /docker\.io\/library\/alpine-test:latest: fetching/);
  assert.match(run.stdout, new RegExp(`${alpine.layers[0]!.digest.slice(7, 19)} stored`));
  assert.match(run.stdout, /docker\.io\/library\/alpine-test:latest: cached \(3 blob\(s\) fetched\)/);
  assert.match(run.stdout, new RegExp(`docker\\.io/${sharedA.repository}@${sharedA.digest}: cached`));

  upstream.hub.resetStats();
  await pullImage(cli.base, alpine);
  assert.equal(upstream.hub.stats().totalBlobBytesSent, 0, 'the pull after the prefetch cost upstream bytes');

  const remote = await spawnCli(['prefetch', '--mirror', 'http://192.0.2.10:5000', 'alpine']).exited;
  assert.equal(remote.code, 1);
  assert.match(remote.stderr, /--mirror must be the mirror on this machine/);
});
