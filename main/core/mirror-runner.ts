// The mirror's lifecycle inside the app: one engine built from the settings, rebuilt when a
// setting it depends on changes, and a taken port reported as a problem with the next free port
// suggested — never a crash. The engine's options are fixed at construction, so a change means
// stop (in-flight pulls finish within the engine's grace period) and start a new one.
import type { Logger } from 'pino';
import { createMirror, type CredentialsProvider, type HealthProblem, type MirrorEngine, type MirrorEvent, type MirrorOptions, type MirrorStatus } from '../../mirror/index.js';
import type { AppSettings } from './contract.js';
import { nextFreePort } from './free-port.js';

/** Engine options a host may pin (tests point `registryName` at a stand-in). */
export type EngineTuning = Pick<MirrorOptions, 'registryName' | 'minFreeBytes' | 'httpTimeouts' | 'servePrivateToAnyone'>;

export interface RunnerDeps {
  logger: Logger;
  credentials: CredentialsProvider;
  clientPassword(): Promise<string | null>;
  onEvent(event: MirrorEvent): void;
  tuning?: EngineTuning;
}

/** The settings the engine is built from; any change among them rebuilds it. */
function engineKey(settings: AppSettings): string {
  const { cachePath, maxSizeBytes, upstream, tagTtlSeconds, allowlist, clientAuth } = settings;
  return JSON.stringify({ cachePath, maxSizeBytes, upstream, tagTtlSeconds, allowlist, clientAuth });
}

function listenKey(settings: AppSettings): string {
  return `${settings.listenHost}|${settings.port}`;
}

export class MirrorRunner {
  private engine: MirrorEngine | null = null;
  private builtFrom = '';
  private listeningOn = '';
  private unsubscribe: () => void = () => {};
  private portProblem: HealthProblem | null = null;
  private applying = false;
  suggestedPort: number | undefined;

  constructor(private readonly deps: RunnerDeps) {}

  get serving(): boolean {
    return this.engine?.status().serving ?? false;
  }

  status(settings: AppSettings): MirrorStatus {
    const status = this.current(settings).status();
    return this.portProblem ? { ...status, problems: [this.portProblem, ...status.problems] } : status;
  }

  /**
   * The engine for status and cache browsing, even while stopped (building one does no I/O).
   * While serving or mid-apply the live engine answers: only apply() may replace it.
   */
  current(settings: AppSettings): MirrorEngine {
    const stale = this.builtFrom !== engineKey(settings);
    if (!this.engine || (stale && !this.serving && !this.applying)) this.replace(this.build(settings), settings);
    return this.engine!;
  }

  async start(settings: AppSettings): Promise<void> {
    const engine = this.current(settings);
    if (engine.status().serving) return;
    if (settings.clientAuth.enabled && !(await this.deps.clientPassword())) {
      throw Object.assign(new Error('Client sign-in is on but no client password is saved; set one in Settings.'), { code: 'client-password-missing' });
    }
    try {
      await engine.start({ host: settings.listenHost, port: settings.port });
      this.listeningOn = listenKey(settings);
      this.portProblem = null;
      this.suggestedPort = undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      this.suggestedPort = await nextFreePort(settings.listenHost, settings.port);
      const hint = this.suggestedPort ? ` Port ${this.suggestedPort} is free.` : '';
      this.portProblem = {
        code: 'port-in-use',
        message: `Port ${settings.port} is already used by another program, so the mirror is not serving.${hint}`,
        since: new Date().toISOString(),
      };
      this.deps.logger.warn({ port: settings.port, suggestedPort: this.suggestedPort }, 'mirror port in use');
    }
  }

  async stop(): Promise<void> {
    await this.engine?.stop();
    this.portProblem = null;
    this.suggestedPort = undefined;
  }

  /**
   * Brings the engine in line with new settings. `beforeRestart` runs while nothing serves the
   * old cache (moving a cache under a live engine would hand out missing files).
   */
  async apply(settings: AppSettings, beforeRestart?: () => Promise<void>): Promise<void> {
    const rebuild = this.builtFrom !== engineKey(settings);
    // A mirror that failed to bind still wants to serve: a new port is its way out.
    const wasServing = this.serving || this.portProblem !== null;
    const relisten = wasServing && this.listeningOn !== listenKey(settings);
    if (!rebuild && !relisten && !beforeRestart) return;
    this.applying = true;
    try {
      await this.engine?.stop();
      await beforeRestart?.();
      if (rebuild) this.replace(this.build(settings), settings);
    } finally {
      this.applying = false;
    }
    if (wasServing) await this.start(settings);
  }

  /** The next apply() rebuilds the engine even if no setting changed (a new client password). */
  invalidate(): void {
    this.builtFrom = '';
  }

  async close(): Promise<void> {
    await this.engine?.stop();
    this.unsubscribe();
  }

  private async passwordFor(settings: AppSettings): Promise<string | null> {
    return settings.clientAuth.enabled ? this.deps.clientPassword() : null;
  }

  private build(settings: AppSettings): MirrorEngine {
    const deps = this.deps;
    // The engine reads client auth at construction; the password is fetched lazily by start().
    const options: MirrorOptions = {
      ...deps.tuning,
      cacheDir: settings.cachePath,
      upstream: settings.upstream,
      tagTtlMs: settings.tagTtlSeconds * 1000,
      maxSizeBytes: settings.maxSizeBytes,
      allowlist: settings.allowlist,
      credentials: deps.credentials,
      logger: deps.logger,
    };
    return new LazyAuthEngine(options, () => this.passwordFor(settings), settings.clientAuth.username);
  }

  private replace(engine: MirrorEngine, settings: AppSettings): void {
    this.unsubscribe();
    this.engine = engine;
    this.builtFrom = engineKey(settings);
    this.unsubscribe = engine.subscribe((event) => this.deps.onEvent(event));
  }
}

/**
 * An engine whose client password is read from the keychain when it starts, so building one for
 * cache browsing never touches the keychain and a new password applies at the next start.
 */
class LazyAuthEngine implements MirrorEngine {
  private inner: MirrorEngine;
  private readonly listeners = new Set<(event: MirrorEvent) => void>();

  constructor(
    private readonly options: MirrorOptions,
    private readonly password: () => Promise<string | null>,
    private readonly username: string,
  ) {
    this.inner = this.create(null);
  }

  private create(password: string | null): MirrorEngine {
    const engine = createMirror({ ...this.options, clientAuth: password ? { username: this.username, password } : null });
    engine.subscribe((event) => {
      for (const listener of this.listeners) listener(event);
    });
    return engine;
  }

  async start(listen: { host: string; port: number }) {
    const password = await this.password();
    if (password) this.inner = this.create(password);
    return this.inner.start(listen);
  }
  stop = () => this.inner.stop();
  status = () => this.inner.status();
  subscribe(listener: (event: MirrorEvent) => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  listCache = () => this.inner.listCache();
  deleteImage = (registry: string, repository: string, reference?: string) => this.inner.deleteImage(registry, repository, reference);
  clearCache = () => this.inner.clearCache();
}
