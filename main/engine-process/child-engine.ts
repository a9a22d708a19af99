// What the engine process does with the app's messages: holds one real Mirror at a time, runs
// its commands, pushes its status and events, and asks the app for credentials when the engine
// needs them. Its logger is redacted here, before a line leaves the process.
import type { Logger } from 'pino';
import { createMirror, type MirrorEngine, type UpstreamCredentials } from '../../mirror/index.js';
import { setupRoutesForEngine } from '../core/engine-setup-routes.js';
import { redactingLogger } from '../core/app-logger.js';
import type { ParentLink } from './parent-link.js';
import { isParentMessage, type CommandArgs, type CommandName, type ParentMessage, type WireError } from './protocol.js';

export interface ChildTiming {
  /** A changed status is pushed at most this long after an event. */
  eventStatusMs: number;
  /** And at this interval regardless (rate limits, disk checks change without events). */
  statusIntervalMs: number;
}

const defaultTiming: ChildTiming = { eventStatusMs: 100, statusIntervalMs: 1000 };

interface Current {
  engine: number;
  mirror: MirrorEngine;
  unsubscribe(): void;
}

function wireError(error: unknown): WireError {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error && error.message ? error.message : 'The engine failed; the log has the details.';
  return { code: typeof code === 'string' ? code : 'engine-error', message };
}

export class ChildEngine {
  private current: Current | null = null;
  private switching: Promise<void> = Promise.resolve();
  private readonly logger: Logger;
  private readonly credentialWaits = new Map<number, (credentials: UpstreamCredentials | null) => void>();
  private nextCredentialId = 1;
  private lastStatus = '';
  private statusSoon: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(
    private readonly link: ParentLink,
    private readonly timing: ChildTiming = defaultTiming,
  ) {
    this.logger = redactingLogger('info', { write: (line: string) => link.send({ type: 'log', line: line.trimEnd() }) });
  }

  run(): void {
    this.link.onMessage((message) => {
      if (isParentMessage(message)) this.handle(message);
    });
    // An app that died must not leave a mirror holding its port.
    this.link.onDisconnect(() => void this.shutdown());
    this.statusTimer = setInterval(() => this.pushStatus(false), this.timing.statusIntervalMs);
  }

  private handle(message: ParentMessage): void {
    switch (message.type) {
      case 'configure':
        this.logger.level = message.logLevel;
        this.switching = this.switching.then(() => this.configure(message));
        return;
      case 'command':
        void this.command(message.id, message.command, message.args);
        return;
      case 'credentials':
        this.credentialWaits.get(message.id)?.(message.credentials);
        this.credentialWaits.delete(message.id);
        return;
      case 'log-level':
        this.logger.level = message.level;
        return;
      case 'shutdown':
        void this.shutdown();
        return;
    }
  }

  private async configure(message: Extract<ParentMessage, { type: 'configure' }>): Promise<void> {
    const previous = this.current;
    this.current = null;
    if (previous) {
      previous.unsubscribe();
      await previous.mirror.stop().catch((error: unknown) => this.logger.error({ err: error }, 'stopping the previous engine failed'));
    }
    const settings = message.settings;
    const mirror: MirrorEngine = createMirror({
      ...settings,
      hostRoutes: setupRoutesForEngine(settings, () => mirror),
      logger: this.logger,
      credentials: message.hasCredentials ? { get: () => this.askCredentials() } : undefined,
      registryCredentials: Object.fromEntries((message.credentialRegistries ?? []).map((registry) => [registry, { get: () => this.askCredentials(registry) }])),
    });
    const engine = message.engine;
    const unsubscribe = mirror.subscribe((event) => {
      this.link.send({ type: 'event', engine, event });
      this.statusSoon ??= setTimeout(() => {
        this.statusSoon = undefined;
        this.pushStatus(false);
      }, this.timing.eventStatusMs);
    });
    this.current = { engine, mirror, unsubscribe };
    this.lastStatus = '';
    this.pushStatus(true);
  }

  private askCredentials(registry?: string): Promise<UpstreamCredentials | null> {
    const id = this.nextCredentialId++;
    return new Promise((resolve) => {
      this.credentialWaits.set(id, resolve);
      this.link.send(registry === undefined ? { type: 'credentials-request', id } : { type: 'credentials-request', id, registry });
    });
  }

  private async command<C extends CommandName>(id: number, command: C, args: CommandArgs[C]): Promise<void> {
    await this.switching;
    const current = this.current;
    try {
      if (!current) throw Object.assign(new Error('The engine process has no engine configured yet.'), { code: 'engine-unconfigured' });
      const result = await this.execute(current.mirror, command, args);
      this.pushStatus(false);
      this.link.send({ type: 'reply', id, ok: true, result });
    } catch (error) {
      this.pushStatus(false);
      this.link.send({ type: 'reply', id, ok: false, error: wireError(error) });
    }
  }

  private async execute<C extends CommandName>(mirror: MirrorEngine, command: C, args: CommandArgs[C]): Promise<unknown> {
    switch (command) {
      case 'start':
        return mirror.start(args as CommandArgs['start']);
      case 'stop':
        await mirror.stop();
        return null;
      case 'status':
        return mirror.status();
      case 'listCache':
        return mirror.listCache();
      case 'deleteImage': {
        const { registry, repository, reference } = args as CommandArgs['deleteImage'];
        await mirror.deleteImage(registry, repository, reference);
        return null;
      }
      case 'clearCache':
        await mirror.clearCache();
        return null;
      case 'refreshKept':
        return mirror.refreshKept((args as CommandArgs['refreshKept']).image);
      case 'setKeepWarm':
        return mirror.setKeepWarm((args as CommandArgs['setKeepWarm']).settings);
      case 'startPrefetch':
        return mirror.startPrefetch((args as CommandArgs['startPrefetch']).images);
      case 'expiryPreview':
        return mirror.expiryPreview((args as CommandArgs['expiryPreview']).expireAfterMs);
      case 'pinImage': {
        const { registry, repository, tag, pinned } = args as CommandArgs['pinImage'];
        await mirror.pinImage(registry, repository, tag, pinned);
        return null;
      }
      default:
        throw Object.assign(new Error(`Unknown engine command "${String(command)}".`), { code: 'engine-unknown-command' });
    }
  }

  /** Sends the status when it changed since the last push (or always, when forced). */
  private pushStatus(force: boolean): void {
    const current = this.current;
    if (!current) return;
    const status = current.mirror.status();
    const serialized = JSON.stringify(status);
    if (!force && serialized === this.lastStatus) return;
    this.lastStatus = serialized;
    this.link.send({ type: 'status', engine: current.engine, status });
  }

  private async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    clearInterval(this.statusTimer);
    clearTimeout(this.statusSoon);
    await this.switching;
    await this.current?.mirror.stop().catch((error: unknown) => this.logger.error({ err: error }, 'stopping the engine failed'));
    this.pushStatus(false);
    for (const resolve of this.credentialWaits.values()) resolve(null);
    this.link.close();
  }
}
