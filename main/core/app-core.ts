// The app core: settings, credentials, the mirror's lifecycle and the event stream, behind the
// DockmirrorApi every window uses. It knows no Electron; the desktop adapter, the headless
// fallback and the tests all run this same code.
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { mirrorAddresses, testUpstreamCredentials } from '../../mirror/index.js';
import type { AppCore, AppCoreOptions } from './app-host.js';
import { openAppLog, type AppLog } from './app-logger.js';
import { appProblems } from './app-problems.js';
import { checkCachePath, listDirectory } from './cache-folder.js';
import { CacheControls } from './cache-controls.js';
import { CacheSwitch } from './cache-switch.js';
import type { AppNotice, AppProblem, AppSettings, AppState, CacheMoveMode, CredentialStatus, MirrorEvent } from '../shared/contract.js';
import { CoreError, toCoreError } from './core-error.js';
import { Credentials } from './credentials.js';
import { EventLog } from './event-log.js';
import { applyDesktopDefaults } from './first-run.js';
import { MirrorRunner, type EngineTuning } from './mirror-runner.js';
import { openSettingsStore, readSettings, refusedAllowlistProblem } from './settings.js';
import { checkedSettingsChange } from './settings-change.js';
import { SettingsInForce } from './settings-in-force.js';

export interface CoreTestHooks {
  /** Engine options the settings do not carry (tests aim `registryName` at a stand-in). */
  tuning?: EngineTuning;
  /** A logger instead of the rotating file (the CLI logs to stdout). */
  logger?: Logger;
}

/** Counters move with every request; the window needs them a few times a second at most. */
const stateThrottleMs = 500;

export function createAppCore(options: AppCoreOptions & CoreTestHooks): AppCore {
  return new Core(options);
}

class Core implements AppCore {
  private inForce!: SettingsInForce;
  private logger!: Logger;
  private log: AppLog | null = null;
  private runner!: MirrorRunner;
  private cacheSwitch!: CacheSwitch;
  private readonly credentials: Credentials;
  private readonly events: EventLog;
  private readonly cache: CacheControls;
  private credentialStatus: CredentialStatus = { keychainAvailable: false, savedFor: null };
  private startFailure: AppProblem | null = null;
  private notices: AppNotice[] = [];
  private readonly eventListeners = new Set<(event: MirrorEvent) => void>();
  private readonly stateListeners = new Set<(state: AppState) => void>();
  private stateTimer: NodeJS.Timeout | undefined;
  private lastState!: AppState;
  private opening: Promise<void> | null = null;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: AppCoreOptions & CoreTestHooks) {
    this.credentials = new Credentials(options.keychain, testUpstreamCredentials);
    this.events = new EventLog(options.eventBufferSize, { dataDir: options.dataDir, onSaveError: (error) => this.logger?.warn({ err: error }, 'could not save the connected hosts') });
    this.cache = new CacheControls({ dataDir: options.dataDir, opened: () => this.opened, runner: () => this.runner, settings: () => this.settings, updateSettings: (patch) => this.updateSettings(patch), publish: () => this.publish(), logger: () => this.logger });
  }

  /** Opens the settings, log and keychain: the host decides when the disk is touched, and sees a failure there. */
  open(): Promise<void> {
    this.opening ??= this.openStores();
    return this.opening;
  }

  /** Every call but the subscriptions needs the stores open; using a core its host never opened is a bug. */
  private get opened(): Promise<void> {
    return this.opening ?? Promise.reject(new CoreError('not-open', 'The app core was used before its host opened it.'));
  }

  private async openStores(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true });
    const store = this.options.settingsStore ?? openSettingsStore(this.options.dataDir);
    if (this.options.logger) this.logger = this.options.logger;
    else {
      this.log = await openAppLog(this.options.dataDir, readSettings(store, this.options.dataDir).logLevel);
      this.logger = this.log.logger;
    }
    const { settings, notices } = await applyDesktopDefaults(store, this.options, this.logger);
    this.notices = notices;
    this.runner = new MirrorRunner({
      logger: this.logger,
      credentials: this.credentials.provider(),
      credentialsFor: (registry) => this.credentials.provider(registry),
      clientPassword: () => this.credentials.clientPassword(),
      onEvent: (event) => this.onMirrorEvent(event),
      tuning: this.options.tuning,
      createEngine: this.options.engines && ((engineOptions) => this.options.engines!.createEngine(engineOptions)),
      hostProblem: () => this.options.engines?.problem ?? null,
    });
    this.inForce = new SettingsInForce(store, settings, this.runner, this.logger);
    this.cacheSwitch = new CacheSwitch(this.runner, this.inForce, this.logger);
    // An engine process that dies or comes back changes what the window and tray must show.
    this.options.engines?.onHealthChange(() => this.publish());
    [this.credentialStatus] = await Promise.all([this.credentials.status(), this.events.hosts?.load(), this.cache.hosts.load()]);
    this.lastState = this.snapshot();
  }

  private get settings(): AppSettings {
    return this.inForce.current;
  }

  async ready(): Promise<AppState> {
    await this.opened;
    if (this.settings.startMirrorOnLaunch && !this.settingsProblem(this.settings)) await this.tryStart();
    return this.publish();
  }

  currentState(): AppState {
    return this.lastState;
  }

  async getState(): Promise<AppState> {
    await this.opened;
    return this.snapshot();
  }

  async startMirror(): Promise<AppState> {
    await this.opened;
    const refused = this.settingsProblem(this.settings);
    if (refused) throw new CoreError('invalid-setting', refused.message);
    await this.tryStart();
    if (this.startFailure) throw new CoreError('start-failed', this.startFailure.message);
    return this.publish();
  }

  async stopMirror(): Promise<AppState> {
    await this.opened;
    await this.runner.stop();
    this.startFailure = null;
    return this.publish();
  }

  async updateSettings(patch: Partial<AppSettings>): Promise<AppState> {
    await this.opened;
    const previous = this.settings;
    const next = await checkedSettingsChange(patch, previous, { clientPassword: () => this.credentials.clientPassword(), setLaunchAtLogin: this.options.desktop?.setLaunchAtLogin });
    await this.inForce.switchTo(next);
    this.startFailure = null;
    this.logger.level = next.logLevel;
    // A corrected allowlist lets the mirror do what the launch could not.
    if (this.settingsProblem(previous) && !this.settingsProblem(next) && next.startMirrorOnLaunch) await this.tryStart();
    return this.publish();
  }

  async saveCredentials(username: string, token: string, registry = 'docker.io'): Promise<CredentialStatus> {
    await this.opened;
    this.credentialStatus = await this.credentials.save(username, token, registry);
    this.logger.info({ registry, user: username.trim() }, 'registry credentials saved to the keychain');
    this.publish();
    return this.credentialStatus;
  }

  async testCredentials(registry = 'docker.io') {
    await this.opened;
    const entry = this.settings.registries.find((r) => r.name === registry);
    const upstream = registry === 'docker.io' ? this.settings.upstream : (entry?.upstream ?? `https://${registry}`);
    return this.credentials.test(upstream, registry);
  }

  async deleteCredentials(registry = 'docker.io'): Promise<CredentialStatus> {
    await this.opened;
    this.credentialStatus = await this.credentials.delete(registry);
    this.logger.info({ registry }, 'registry credentials deleted from the keychain');
    this.publish();
    return this.credentialStatus;
  }

  async setClientPassword(password: string): Promise<AppState> {
    await this.opened;
    await this.credentials.setClientPassword(password);
    if (this.settings.clientAuth.enabled) {
      this.runner.invalidate();
      await this.runner.apply(this.settings);
    }
    return this.publish();
  }

  pickFolder = async (): Promise<string | null> => (await this.options.desktop?.pickFolder?.()) ?? null;

  listDirectory = (path: string) => listDirectory(path);
  checkCachePath = (path: string) => checkCachePath(path);

  async changeCachePath(path: string, mode: CacheMoveMode): Promise<AppState> {
    await this.opened;
    try {
      await this.cacheSwitch.change(path, mode);
    } finally {
      this.publish();
    }
    this.startFailure = null;
    return this.publish();
  }

  async openCacheFolder(): Promise<void> {
    await this.opened;
    const openPath = this.options.desktop?.openPath;
    if (!openPath) throw new CoreError('unsupported', `Open ${this.settings.cachePath} in your file manager; a browser window cannot open folders.`);
    await mkdir(this.settings.cachePath, { recursive: true });
    await openPath(this.settings.cachePath);
  }

  listCache = () => this.cache.listCache();
  deleteCachedImage = (registry: string, repository: string, reference?: string) => this.cache.deleteCachedImage(registry, repository, reference);
  pinCachedImage = (registry: string, repository: string, tag: string, pinned: boolean) => this.cache.pinCachedImage(registry, repository, tag, pinned);
  clearCache = () => this.cache.clearCache();
  keepImageWarm = (name: string, keep: boolean, platforms?: string[] | null) => this.cache.keepImageWarm(name, keep, platforms);
  refreshKeptImages = (image?: string) => this.cache.refreshKeptImages(image);
  startPrefetch = (text: string, fileName?: string) => this.cache.startPrefetch(text, fileName);
  expiryPreview = () => this.cache.expiryPreview();

  recentEvents = async (): Promise<MirrorEvent[]> => this.events.recent();
  recentClients = async () => this.events.recentClients();

  onEvent(listener: (event: MirrorEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => void this.eventListeners.delete(listener);
  }

  onState(listener: (state: AppState) => void): () => void {
    this.stateListeners.add(listener);
    return () => void this.stateListeners.delete(listener);
  }

  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => undefined);
      clearTimeout(this.stateTimer);
      await this.runner?.close();
      await this.options.engines?.close();
      await this.events.hosts?.flush();
      await this.cache.hosts.flush();
      this.logger?.info('Dockmirror stopped');
      await this.log?.close();
    })();
    return this.closing;
  }

  private async tryStart(): Promise<void> {
    try {
      await this.runner.start(this.settings);
      this.startFailure = null;
    } catch (error) {
      const { message } = toCoreError(error);
      this.startFailure = { code: 'start-failed', message, since: new Date().toISOString() };
      this.logger.error({ err: error }, 'the mirror could not start');
    }
  }

  /** A stored allowlist entry the rules refuse (settings.ts readSettings keeps it as stored). */
  private settingsProblem(settings: AppSettings): AppProblem | null {
    return refusedAllowlistProblem(settings.allowlist, this.options.dataDir);
  }

  private onMirrorEvent(engineEvent: MirrorEvent): void {
    const event = this.events.withHostname(engineEvent);
    this.events.add(event);
    this.cache.take(event);
    for (const listener of this.eventListeners) listener(event);
    this.stateTimer ??= setTimeout(() => {
      this.stateTimer = undefined;
      this.publish();
    }, stateThrottleMs);
  }

  private snapshot(): AppState {
    const settings = structuredClone(this.settings);
    const mirror = this.runner.status(settings);
    const port = mirror.listen?.port ?? settings.port;
    const { startFailure, credentialStatus: credentials } = this;
    const problems = appProblems({ engine: mirror.problems, cacheSwitch: this.cacheSwitch.problem, refusedSetting: this.settingsProblem(settings), startFailure, credentials });
    const state: AppState = { settings, mirror, credentials: { ...this.credentialStatus }, addresses: mirrorAddresses({ host: settings.listenHost, port }), problems, notices: [...this.notices], connectedHosts: this.events.hosts?.list() ?? [] };
    if (this.runner.suggestedPort !== undefined) state.suggestedPort = this.runner.suggestedPort;
    return state;
  }

  private publish(): AppState {
    this.lastState = this.snapshot();
    for (const listener of this.stateListeners) listener(this.lastState);
    return this.lastState;
  }
}
