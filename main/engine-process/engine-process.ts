// The app's side of the engine process: starts it on first use, routes commands and replies,
// hands the child credentials when it asks, puts its log lines into the app's log, and when the
// process dies says so (a health problem) and starts it again with backoff, serving on the same
// address as before.
import type { Logger } from 'pino';
import { engineNodeFlags } from '../../mirror/process-flags.js';
import type { MirrorOptions } from '../../mirror/public-types.js';
import type { AppProblem } from '../shared/contract.js';
import { engineEntry, type ChannelExit, type ChannelOpener, type EngineChannel } from './channel.js';
import type { EngineHost } from './engine-host.js';
import { nodeChannelOpener } from './node-channel.js';
import { isChildMessage, type ChildMessage, type CommandArgs, type CommandName, type CommandResults } from './protocol.js';
import { RemoteMirror } from './remote-mirror.js';
import { RestartPolicy, defaultRestartTiming, type RestartTiming } from './restart-policy.js';

export interface EngineProcessOptions {
  open?: ChannelOpener;
  entry?: string;
  execArgv?: readonly string[];
  restart?: RestartTiming;
  /** How long a shutdown may take (pulls in flight finish) before the process is killed. */
  shutdownGraceMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

function engineError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function describeExit(exit: ChannelExit): string {
  if (exit.signal) return `killed by ${exit.signal}`;
  return exit.code === null ? 'it could not be started' : `exit code ${exit.code}`;
}

function relog(logger: Logger, line: string): void {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.warn({ line: line.slice(0, 500) }, 'the engine process wrote an unreadable log line');
    return;
  }
  const { level, time: _time, msg, ...fields } = entry;
  const label = (typeof level === 'number' && logger.levels.labels[level]) || 'info';
  const write = logger[label as 'info'] as Logger['info'] | undefined;
  // The app's logger redacts again: its redaction is the one every log line answers to.
  write?.call(logger, fields, typeof msg === 'string' ? msg : '');
}

export class EngineProcess implements EngineHost {
  private channel: EngineChannel | null = null;
  private startedAt = 0;
  private configured: RemoteMirror | null = null;
  private active: RemoteMirror | null = null;
  private nextEngineId = 1;
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly healthListeners = new Set<() => void>();
  private readonly policy: RestartPolicy;
  private crash: AppProblem | null = null;
  private restartTimer: NodeJS.Timeout | undefined;
  private sentLogLevel: string | undefined;
  private closing: Promise<void> | null = null;
  private fallbackLogger: Logger | undefined;

  constructor(private readonly options: EngineProcessOptions = {}) {
    this.policy = new RestartPolicy(options.restart ?? defaultRestartTiming);
  }

  /** The engine process's id while it runs (the benchmark samples its memory; tests kill it). */
  get pid(): number | undefined {
    return this.channel?.pid;
  }

  /** Set while the process is down or could not serve again after a restart. */
  get problem(): AppProblem | null {
    return this.crash;
  }

  get down(): boolean {
    return this.channel === null && this.crash !== null;
  }

  createEngine(options: MirrorOptions): RemoteMirror {
    return new RemoteMirror(this, options, this.nextEngineId++);
  }

  onHealthChange(listener: () => void): () => void {
    this.healthListeners.add(listener);
    return () => void this.healthListeners.delete(listener);
  }

  call<C extends CommandName>(engine: RemoteMirror, command: C, args: CommandArgs[C]): Promise<CommandResults[C]> {
    if (this.closing) return Promise.reject(engineError('engine-closed', 'Dockmirror is quitting; the mirror engine has stopped.'));
    if (this.down) return Promise.reject(engineError('engine-crashed', "The mirror's engine stopped unexpectedly and is being restarted; try again in a moment."));
    const channel = this.channel ?? this.spawn();
    this.active = engine;
    this.fallbackLogger = engine.logger;
    if (this.configured !== engine) {
      this.configured = engine;
      this.sentLogLevel = engine.logLevel();
      channel.postMessage({ type: 'configure', engine: engine.id, settings: engine.settings, hasCredentials: engine.hasCredentials, credentialRegistries: engine.credentialRegistries, logLevel: engine.logLevel() });
    } else if (this.sentLogLevel !== engine.logLevel()) {
      this.sentLogLevel = engine.logLevel();
      channel.postMessage({ type: 'log-level', level: engine.logLevel() });
    }
    const id = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      channel.postMessage({ type: 'command', id, command, args } as never);
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.restartTimer);
      const channel = this.channel;
      if (!channel) return;
      const exited = new Promise<void>((resolve) => channel.onExit(() => resolve()));
      channel.postMessage({ type: 'shutdown' });
      const force = setTimeout(() => channel.kill(), this.options.shutdownGraceMs ?? 15_000);
      await exited;
      clearTimeout(force);
    })();
    return this.closing;
  }

  private spawn(): EngineChannel {
    const channel = (this.options.open ?? nodeChannelOpener)(this.options.entry ?? engineEntry, this.options.execArgv ?? engineNodeFlags);
    this.channel = channel;
    this.configured = null;
    this.startedAt = Date.now();
    channel.onMessage((message) => {
      if (this.channel === channel && isChildMessage(message)) this.receive(channel, message);
    });
    channel.onExit((exit) => this.exited(channel, exit));
    return channel;
  }

  private receive(channel: EngineChannel, message: ChildMessage): void {
    switch (message.type) {
      case 'reply': {
        const waiting = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) waiting?.resolve(message.result);
        else waiting?.reject(engineError(String(message.error.code), String(message.error.message)));
        return;
      }
      case 'status':
        if (message.engine === this.active?.id) this.active.receiveStatus(message.status);
        return;
      case 'event':
        if (message.engine === this.active?.id) this.active.receiveEvent(message.event);
        return;
      case 'log': {
        const logger = this.active?.logger ?? this.fallbackLogger;
        if (logger) relog(logger, message.line);
        return;
      }
      case 'credentials-request': {
        // Each registry's credentials only for a request naming it; the child never gets a list.
        const provider = message.registry === undefined ? this.active?.credentials : this.active?.registryCredentials?.[message.registry];
        void (provider ? provider.get().catch(() => null) : Promise.resolve(null)).then((credentials) => {
          if (this.channel === channel) channel.postMessage({ type: 'credentials', id: message.id, credentials });
        });
        return;
      }
    }
  }

  private exited(channel: EngineChannel, exit: ChannelExit): void {
    if (this.channel !== channel) return;
    this.channel = null;
    this.configured = null;
    const failure = this.closing
      ? engineError('engine-closed', 'Dockmirror is quitting; the mirror engine has stopped.')
      : engineError('engine-crashed', `The mirror's engine stopped unexpectedly (${describeExit(exit)}).`);
    for (const waiting of this.pending.values()) waiting.reject(failure);
    this.pending.clear();
    this.active?.lost();
    if (this.closing) return;
    const delay = this.policy.nextDelay(Date.now() - this.startedAt);
    const seconds = delay >= 1000 ? `${Math.round(delay / 1000)} s` : `${delay} ms`;
    this.crash = {
      code: 'engine-crashed',
      message: `The mirror's engine stopped unexpectedly (${describeExit(exit)}); Dockmirror is restarting it in ${seconds}, and pulls fail until then.`,
      since: new Date().toISOString(),
    };
    (this.active?.logger ?? this.fallbackLogger)?.error({ exit, restartInMs: delay }, 'the engine process died; restarting it');
    this.restartTimer = setTimeout(() => void this.restart(), delay);
    this.notify();
  }

  private async restart(): Promise<void> {
    const since = this.crash?.since ?? new Date().toISOString();
    this.spawn();
    const engine = this.active;
    try {
      await engine?.revive();
      this.crash = null;
      (engine?.logger ?? this.fallbackLogger)?.info('the engine process was restarted');
    } catch (error) {
      // A second death is reported by exited(); this is a process that runs but cannot serve.
      if ((error as { code?: unknown }).code === 'engine-crashed') return;
      this.crash = {
        code: 'engine-crashed',
        message: `The mirror's engine was restarted after it stopped unexpectedly, but could not serve again: ${(error as Error).message}`,
        since,
      };
    }
    this.notify();
  }

  private notify(): void {
    for (const listener of this.healthListeners) listener();
  }
}
