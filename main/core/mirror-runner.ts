// The mirror's lifecycle inside the app: one engine built from the settings, rebuilt when a
// setting it depends on changes, and a taken port reported as a problem with the next free port
// suggested — never a crash. The engine's options are fixed at construction, so a change means
// stop (in-flight pulls finish within the engine's grace period) and start a new one.
import type { Logger } from 'pino';
import { setupRoutesForEngine } from './engine-setup-routes.js';
import { allowlistWarning, createMirror, mirrorAddresses, type CredentialsProvider, type MirrorEngine, type MirrorEvent, type MirrorOptions } from '../../mirror/index.js';
import type { AppMirrorStatus, AppProblem, AppSettings } from '../shared/contract.js';
import { CoreError } from './core-error.js';
import { nextFreePort } from './free-port.js';
import { engineKeepWarm } from './keep-warm-setting.js';
import { refusedAllowlistEntries, usableAllowlist } from './settings.js';

/** Engine options a host may pin (tests point `registryName` at a stand-in). */
export type EngineTuning = Pick<MirrorOptions, 'registryName' | 'minFreeBytes' | 'httpTimeouts' | 'servePrivateToAnyone'>;

export interface RunnerDeps {
  logger: Logger;
  credentials: CredentialsProvider;
  /** Each other registry's credentials (keychain, one account per registry). */
  credentialsFor?: (registry: string) => CredentialsProvider;
  clientPassword(): Promise<string | null>;
  onEvent(event: MirrorEvent): void;
  tuning?: EngineTuning;
  /** Where engines are built: in this process by default, the engine process in the app's hosts. */
  createEngine?: (options: MirrorOptions) => MirrorEngine;
  /** What is wrong with wherever the engine runs (its process died), shown with the engine's problems. */
  hostProblem?: () => AppProblem | null;
}

/** The settings the engine is built from; any change among them rebuilds it. */
function engineKey(settings: AppSettings): string {
  const { cachePath, maxSizeBytes, minFreeBytes, upstream, registries, tagTtlSeconds, allowlist, clientAuth, expireAfterDays } = settings;
  // keepWarm is not here: a running engine takes a new list as it is (setKeepWarm), without a restart.
  return JSON.stringify({ cachePath, maxSizeBytes, minFreeBytes, upstream, registries, tagTtlSeconds, allowlist, clientAuth, expireAfterDays });
}

function listenKey(settings: AppSettings): string {
  return `${settings.listenHost}|${settings.port}`;
}

export class MirrorRunner {
  private engine: MirrorEngine | null = null;
  private builtFrom = '';
  private keptFrom = '';
  private listeningOn = '';
  private unsubscribe: () => void = () => {};
  private portProblem: AppProblem | null = null;
  private applying = false;
  suggestedPort: number | undefined;

  constructor(private readonly deps: RunnerDeps) {}

  get serving(): boolean {
    return this.engine?.status().serving ?? false;
  }

  status(settings: AppSettings): AppMirrorStatus {
    const status = this.current(settings).status();
    const warning = allowlistWarning(usableAllowlist(settings.allowlist), mirrorAddresses({ host: settings.listenHost, port: status.listen?.port ?? settings.port }));
    const crash = this.deps.hostProblem?.() ?? null;
    const own = [this.portProblem, warning && { code: 'allowlist-refuses-lan' as const, message: warning, since: new Date(0).toISOString() }, crash];
    const problems = own.filter((p): p is AppProblem => Boolean(p));
    return problems.length > 0 ? { ...status, problems: [...problems, ...status.problems] } : status;
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
    const [refused] = refusedAllowlistEntries(settings.allowlist);
    if (refused) throw new CoreError('invalid-setting', `The allowlist holds "${refused.entry}", which this version refuses: ${refused.reason}`);
    let engine = this.current(settings);
    if (engine.status().serving) return;
    if (settings.clientAuth.enabled) {
      // Read from the keychain only now, so building an engine for cache browsing never asks it
      // and a new password applies at the next start.
      const password = await this.deps.clientPassword();
      if (!password) {
        throw Object.assign(new Error('Client sign-in is on but no client password is saved; set one in Settings.'), { code: 'client-password-missing' });
      }
      engine = this.build(settings, password);
      this.replace(engine, settings);
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

  /** Brings the engine in line with new settings (a cache move stops and copies first: cache-switch.ts). */
  async apply(settings: AppSettings): Promise<void> {
    const rebuild = this.builtFrom !== engineKey(settings);
    // A mirror that failed to bind still wants to serve: a new port is its way out.
    const wasServing = this.serving || this.portProblem !== null;
    const relisten = wasServing && this.listeningOn !== listenKey(settings);
    if (!rebuild && this.engine && this.keptFrom !== JSON.stringify(settings.keepWarm)) {
      await this.engine.setKeepWarm(engineKeepWarm(settings.keepWarm));
      this.keptFrom = JSON.stringify(settings.keepWarm);
    }
    if (!rebuild && !relisten) return;
    this.applying = true;
    try {
      await this.engine?.stop();
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

  private build(settings: AppSettings, clientPassword: string | null = null): MirrorEngine {
    const options: MirrorOptions = {
      minFreeBytes: settings.minFreeBytes,
      ...this.deps.tuning,
      cacheDir: settings.cachePath,
      upstream: settings.upstream,
      // The list is complete (built-in entries included), so a registry the user removed stays out.
      defaultRegistries: false,
      registries: settings.registries.map((r) => ({ name: r.name, upstream: r.upstream ?? undefined, enabled: r.enabled })),
      tagTtlMs: settings.tagTtlSeconds * 1000,
      maxSizeBytes: settings.maxSizeBytes,
      expireAfterMs: settings.expireAfterDays === null ? null : settings.expireAfterDays * 86_400_000,
      keepWarm: engineKeepWarm(settings.keepWarm),
      // A stored entry the rules refuse keeps the mirror stopped (start() below); this engine only browses the cache.
      allowlist: usableAllowlist(settings.allowlist),
      credentials: this.deps.credentials,
      registryCredentials: this.otherRegistryCredentials(settings),
      logger: this.deps.logger,
      clientAuth: clientPassword ? { username: settings.clientAuth.username, password: clientPassword } : null,
    };
    // An engine in its own process builds these routes there (child-engine.ts): functions do not cross.
    if (!this.deps.createEngine) options.hostRoutes = setupRoutesForEngine(options, () => engine);
    const engine: MirrorEngine = (this.deps.createEngine ?? createMirror)(options);
    return engine;
  }

  private otherRegistryCredentials(settings: AppSettings): Record<string, CredentialsProvider> | undefined {
    const credentialsFor = this.deps.credentialsFor;
    if (!credentialsFor) return undefined;
    return Object.fromEntries(settings.registries.filter((r) => r.name !== 'docker.io').map((r) => [r.name, credentialsFor(r.name)]));
  }

  private replace(engine: MirrorEngine, settings: AppSettings): void {
    this.unsubscribe();
    this.engine = engine;
    this.builtFrom = engineKey(settings);
    this.keptFrom = JSON.stringify(settings.keepWarm);
    this.unsubscribe = engine.subscribe((event) => this.deps.onEvent(event));
  }
}
