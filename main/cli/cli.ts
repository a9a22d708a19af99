// `dockmirror` on the command line: `serve` runs the mirror headless, `verify` checks the store,
// `start` launches the desktop app (or its headless fallback). Every failure a person can cause
// ends in one plain sentence and a non-zero exit code, never a stack trace.
import { rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createMirror, defaultTagTtlMs, defaultUpstream } from '../../mirror/index.js';
import { parseCidrList } from '../../mirror/cidr.js';
import { allowlistWarning, defaultAllowlist, mirrorAddresses } from '../../mirror/lan-addresses.js';
import type { CredentialsProvider, MirrorEngine, UpstreamCredentials } from '../../mirror/public-types.js';
import { resolveRegistries } from '../../mirror/registries/registry-list.js';
import { CacheFolderRefused, claimCacheFolder } from '../../mirror/store/cache-claim.js';
import { StorePaths } from '../../mirror/store/paths.js';
import { verifyStore } from '../../mirror/verify.js';
import { defaultRefreshEveryMs } from '../../mirror/keep/keep-warm.js';
import { readKeepWarmFile } from '../../mirror/keep/keep-warm-file.js';
import { setupRoutesForEngine } from '../core/engine-setup-routes.js';
import { parseDuration, parseFloor, parseRegistryFlag, parseSize } from './cli-options.js';
import { parseListen } from './listen-address.js';
import { servingBanner } from './serving-banner.js';
import { untilStopSignal } from './stop-signal.js';

const usage = `Usage:
  dockmirror serve --cache DIR [--listen 0.0.0.0:5000] [--upstream URL] [--max-size SIZE]
                   [--tag-ttl DURATION] [--log-level LEVEL] [--allow CIDR[,CIDR…]]
                   [--min-free SIZE] [--username USER --password-stdin]
                   [--registry NAME=URL]… [--no-default-registries]
                   [--keep-warm FILE [--refresh-every DURATION]] [--expire-after DURATION]
                   [--ui [HOST:]PORT [--ui-allow-lan]]
  dockmirror prefetch --mirror URL [--from FILE]… [IMAGE…]
                   the mirror running on this machine pulls the images into its cache (FILE: a
                   docker-compose.yml, Kubernetes YAML, a Dockerfile or a list of names)
  dockmirror verify --cache DIR    re-hash the cache, remove damaged blobs (exit code 1 if any)
  dockmirror start            the desktop app (headless with its web UI where Electron cannot start)

Registries: docker.io, ghcr.io, quay.io, registry.k8s.io, gcr.io, public.ecr.aws and
mcr.microsoft.com are served by default. --upstream URL is docker.io's upstream (a team mirror,
say); --registry NAME=URL (repeatable) adds a registry or points one at another upstream;
--no-default-registries serves only --upstream's docker.io and the --registry ones.

--keep-warm FILE: one image a line (registry/name:tag, optionally --platform os/arch,…; # comments)
kept pinned and refreshed every --refresh-every (default 6h) with HEADs, fetching only what changed.
--expire-after 30d removes images nobody pulled for that long (never kept or pinned ones).

Docker Hub credentials: DOCKERHUB_USERNAME and DOCKERHUB_TOKEN, or --password-stdin.`;

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'verify':
        return await verify(rest);
      case 'prefetch': {
        // Resolved at run time: the YAML reader lives in main/, so the engine never loads it.
        const { prefetchCommand } = await import('../prefetch/prefetch-command.js');
        return await prefetchCommand(rest);
      }
      case 'start': {
        // Loaded only for `start`: `serve` and `verify` need none of the desktop launcher.
        const { launch } = await import('../launch.js');
        return await launch(rest);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${usage}\n`);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`dockmirror: unknown command "${command}".\n${usage}\n`);
        return 2;
    }
  } catch (error) {
    process.stderr.write(`dockmirror: ${(error as Error).message}\n`);
    return 1;
  }
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      listen: { type: 'string', default: '0.0.0.0:5000' },
      cache: { type: 'string' },
      upstream: { type: 'string', default: defaultUpstream },
      'max-size': { type: 'string' },
      'tag-ttl': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      allow: { type: 'string' },
      username: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      ui: { type: 'string' },
      'ui-allow-lan': { type: 'boolean', default: false },
      'min-free': { type: 'string' },
      registry: { type: 'string', multiple: true },
      'no-default-registries': { type: 'boolean', default: false },
      'keep-warm': { type: 'string' },
      'refresh-every': { type: 'string' },
      'expire-after': { type: 'string' },
    },
    strict: true,
  });
  if (!values.cache) throw new Error('--cache DIR is required: the folder where the mirror keeps its cache.');
  if (!logLevels.includes(values['log-level']!)) throw new Error(`--log-level must be one of ${logLevels.join(', ')}.`);
  const listen = parseListen(values.listen!);
  const upstream = parseUpstream(values.upstream!);
  const cacheDir = resolve(values.cache);
  const tagTtlMs = values['tag-ttl'] ? parseDuration(values['tag-ttl']) : defaultTagTtlMs;
  const maxSizeBytes = values['max-size'] ? parseSize(values['max-size']) : null;
  const allowlist = values.allow === undefined ? defaultAllowlist() : parseCidrList(values.allow).map((cidr) => cidr.text);
  const minFreeBytes = values['min-free'] === undefined ? undefined : parseFloor(values['min-free']);
  if (values['ui-allow-lan'] && values.ui === undefined) throw new Error('--ui-allow-lan only applies with --ui HOST:PORT.');
  const registries = (values.registry ?? []).map(parseRegistryFlag);
  const defaultRegistries = !values['no-default-registries'];
  // Checked now, so a bad name or URL is one sentence before anything starts.
  const served = resolveRegistries({ upstream, registries, defaultRegistries }).filter((r) => r.enabled);
  if (values.ui !== undefined && (registries.length > 0 || !defaultRegistries)) {
    throw new Error('--registry and --no-default-registries do not apply with --ui yet: the window keeps its own settings.');
  }
  if (values['refresh-every'] !== undefined && values['keep-warm'] === undefined) throw new Error('--refresh-every only applies with --keep-warm FILE.');
  if (values['keep-warm'] !== undefined && values.ui !== undefined) throw new Error('--keep-warm does not apply with --ui yet: the window keeps its own settings.');
  const keepWarm = values['keep-warm'] === undefined
    ? undefined
    : await readKeepWarmFile(resolve(values['keep-warm']), values['refresh-every'] ? parseDuration(values['refresh-every']) : defaultRefreshEveryMs, served.map((r) => r.name));
  await assertWritable(cacheDir);
  const credentials = await readCredentials(values.username, values['password-stdin']!);
  const logger = pino({ level: values['log-level'], base: undefined });
  if (values.ui !== undefined) {
    // Loaded only with --ui: the plain mirror needs none of the app core.
    const { serveWithUi } = await import('../headless/serve-ui.js');
    const settings = { cachePath: cacheDir, listenHost: listen.host, port: listen.port, upstream, tagTtlSeconds: Math.round(tagTtlMs / 1000), maxSizeBytes, logLevel: (values['log-level'] === 'silent' ? 'fatal' : values['log-level']) as 'info', allowlist, ...(minFreeBytes === undefined ? {} : { minFreeBytes }) };
    return serveWithUi({ ui: values.ui, allowLan: values['ui-allow-lan']!, settings, credentials, logger });
  }
  const mirror: MirrorEngine = createMirror({
    // LAN hosts set themselves up with `curl …/setup/docker | sudo sh` (the banner names it).
    hostRoutes: setupRoutesForEngine({}, () => mirror),
    cacheDir,
    upstream,
    tagTtlMs,
    maxSizeBytes,
    minFreeBytes,
    allowlist,
    registries,
    defaultRegistries,
    credentials: staticCredentials(credentials),
    logger,
    keepWarm,
    expireAfterMs: values['expire-after'] === undefined ? null : parseDuration(values['expire-after']),
  });
  const bound = await mirror.start(listen);
  const addresses = mirrorAddresses(bound);
  const warning = allowlistWarning(allowlist, addresses);
  if (warning) process.stderr.write(`dockmirror: warning: ${warning}\n`);
  const account = credentials ? `Pulls are authenticated as ${credentials.username}.` : 'Pulls are anonymous (set DOCKERHUB_USERNAME and DOCKERHUB_TOKEN for a higher limit).';
  const servedNames = served.map((r) => (r.name === 'docker.io' ? `docker.io (from ${upstream})` : r.name)).join(', ');
  const keeping = keepWarm ? `\nKeeping ${keepWarm.images.length} image(s) warm, refreshed every ${Math.round(keepWarm.everyMs! / 60_000)} min.` : '';
  process.stdout.write([...servingBanner({ upstream: servedNames, listen: bound, cachePath: cacheDir, addresses }, account + keeping), ''].join('\n'));
  await untilStopSignal();
  await mirror.stop();
  return 0;
}

async function verify(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { cache: { type: 'string' } }, strict: true });
  if (!values.cache) throw new Error('--cache DIR is required.');
  const cacheDir = resolve(values.cache);
  // Checking a mistyped path must not create an empty cache there.
  const info = await stat(cacheDir).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`There is no cache folder at ${cacheDir}.`);
  const report = await verifyStore(cacheDir);
  if (report.removed.length === 0) {
    process.stdout.write(`Checked ${report.checked} blobs: every one matches its digest.\n`);
    return 0;
  }
  process.stdout.write(`Checked ${report.checked} blobs: ${report.removed.length} did not match their digest and were removed; the mirror fetches them again when asked.\n`);
  for (const blob of report.removed) process.stdout.write(`  removed ${blob.digest} (found ${blob.found})\n`);
  // Like fsck: 1 says damage was found (and repaired), so scripts and monitoring can notice.
  return 1;
}

function parseUpstream(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${text}" is not a URL; write the upstream like https://registry-1.docker.io.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`The upstream must be an http or https URL, not ${url.protocol}.`);
  if (url.username || url.password) throw new Error('Put upstream credentials in DOCKERHUB_USERNAME/DOCKERHUB_TOKEN, not in the URL.');
  return url.origin;
}

/** Refuses a folder that is not provably Dockmirror's (cache-claim.ts), then proves it writable. */
async function assertWritable(dir: string): Promise<void> {
  const paths = new StorePaths(dir);
  try {
    await claimCacheFolder(paths);
    const probe = paths.tempFile('probe');
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (error) {
    if (error instanceof CacheFolderRefused) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`The cache folder ${dir} cannot be written (${code}); choose another with --cache or fix its permissions.`);
  }
}

async function readCredentials(username: string | undefined, fromStdin: boolean): Promise<UpstreamCredentials | null> {
  if (fromStdin) {
    const user = username ?? process.env.DOCKERHUB_USERNAME;
    if (!user) throw new Error('--password-stdin needs --username (or DOCKERHUB_USERNAME).');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const secret = Buffer.concat(chunks).toString('utf8').trim();
    if (!secret) throw new Error('--password-stdin read an empty token.');
    return { username: user, secret };
  }
  const user = username ?? process.env.DOCKERHUB_USERNAME;
  const secret = process.env.DOCKERHUB_TOKEN;
  if (user && secret) return { username: user, secret };
  if (user || secret) throw new Error('Set both DOCKERHUB_USERNAME and DOCKERHUB_TOKEN, or neither.');
  return null;
}

function staticCredentials(credentials: UpstreamCredentials | null): CredentialsProvider | undefined {
  return credentials ? { get: async () => credentials } : undefined;
}
