// Debian's distribution (`docker-registry`, 2.8) as a child process on loopback: either a plain
// registry that holds the test images, or distribution's own pull-through cache (proxy mode), which
// the benchmark runs side by side with ours.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from './ports.js';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export interface RegistryProxyOptions {
  /** The upstream distribution mirrors, e.g. a hub stand-in's `url`. */
  remoteUrl: string;
  username?: string;
  password?: string;
}

export interface StartRegistryOptions {
  /** When set, distribution runs as a pull-through cache of this upstream. */
  proxy?: RegistryProxyOptions;
  /** Storage root; a fresh temp dir (removed by stop()) when absent. A given dir is kept. */
  rootDir?: string;
  /** distribution's log level; `warn` keeps test output quiet. */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** How long to wait for `GET /v2/` to answer, in ms. Default 20 000. */
  readyTimeoutMs?: number;
  /** Binary to run; defaults to Debian's /usr/bin/docker-registry. */
  binary?: string;
  /** Added to the child's environment (SSL_CERT_FILE, for an upstream with a test CA). */
  env?: Record<string, string>;
}

export interface RunningRegistry {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  /** The storage root (the directory holding `docker/registry/v2`). */
  rootDir: string;
  process: ChildProcess;
  /** Everything the child wrote to stderr/stdout so far (for failure messages). */
  output(): string;
  /** Kills the child, waits for it to exit, and removes the storage dir if we created it. */
  stop(): Promise<void>;
}

function registryConfig(port: number, rootDir: string, options: StartRegistryOptions): string {
  // JSON strings are valid YAML scalars, which keeps odd passwords and paths safe.
  const q = (value: string): string => JSON.stringify(value);
  const lines = [
    'version: 0.1',
    'log:',
    `  level: ${options.logLevel ?? 'warn'}`,
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${q(rootDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${q(`127.0.0.1:${port}`)}`,
    `  secret: ${q(randomBytes(16).toString('hex'))}`,
    'health:',
    '  storagedriver:',
    '    enabled: false',
  ];
  if (options.proxy) {
    lines.push('proxy:', `  remoteurl: ${q(options.proxy.remoteUrl)}`);
    if (options.proxy.username !== undefined) lines.push(`  username: ${q(options.proxy.username)}`);
    if (options.proxy.password !== undefined) lines.push(`  password: ${q(options.proxy.password)}`);
  }
  return lines.join('\n') + '\n';
}

class BindRace extends Error {}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  let exited = child.exitCode !== null || child.signalCode !== null;
  const onExit = (): void => {
    exited = true;
  };
  child.once('exit', onExit);
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) {
        if (/address already in use/i.test(output())) throw new BindRace('port taken');
        throw new Error(`distribution exited before it was ready:\n${output()}`);
      }
      try {
        const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        // A proxy with credentials may answer 401 for /v2/ on some versions; it is up either way.
        if (response.status === 200 || response.status === 401) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    throw new Error(`distribution did not answer GET /v2/ within ${timeoutMs} ms:\n${output()}`);
  } finally {
    child.off('exit', onExit);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts distribution on a free 127.0.0.1 port and waits until `GET /v2/` answers. */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const workDir = await mkdtemp(join(tmpdir(), 'dockmirror-registry-'));
  const rootDir = options.rootDir ?? join(workDir, 'storage');
  const configPath = join(workDir, 'config.yml');
  let lastError: unknown;
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await findFreePort();
      await writeFile(configPath, registryConfig(port, rootDir, options), { mode: 0o600 });
      const child = spawn(options.binary ?? REGISTRY_BINARY, ['serve', configPath], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: options.env && { ...process.env, ...options.env },
      });
      let log = '';
      const append = (chunk: Buffer): void => {
        // Keep the tail only: a chatty child must not grow test memory without bound.
        log = (log + chunk.toString('utf8')).slice(-20_000);
      };
      child.stdout?.on('data', append);
      child.stderr?.on('data', append);
      const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
      spawnFailed.catch(() => undefined);
      const url = `http://127.0.0.1:${port}`;
      try {
        await Promise.race([waitUntilReady(url, child, () => log, options.readyTimeoutMs ?? 20_000), spawnFailed]);
      } catch (error) {
        await stopChild(child);
        lastError = error;
        if (error instanceof BindRace) continue;
        throw error;
      }
      let stopped: Promise<void> | undefined;
      return {
        url,
        port,
        rootDir,
        process: child,
        output: () => log,
        stop: () => {
          stopped ??= (async () => {
            await stopChild(child);
            await rm(workDir, { recursive: true, force: true });
          })();
          return stopped;
        },
      };
    }
    throw lastError instanceof Error ? lastError : new Error('distribution could not bind a port');
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}
