// The one message protocol between the app core and the engine process, for both hosts
// (child_process.fork headless, utilityProcess.fork under Electron). Every shape is plain JSON.
//
// Secrets travel one way only: the client password inside `configure`, Docker Hub credentials in
// `credentials` answers. The child asks for credentials each time its engine needs them (the
// engine caches them a few seconds), rather than getting them once at start, so that a token
// saved or deleted in the window applies to the next token request as it does in-process, and
// the keychain stays in the app process. Nothing the child sends carries a secret: replies,
// statuses and events are the engine's public shapes, and log lines are redacted in the child.
import type { CachedRepository, ExpiryPreview, KeepWarmSettings, KeptImageStatus, MirrorEvent, PrefetchStatus, MirrorOptions, MirrorStatus, UpstreamCredentials } from '../../mirror/public-types.js';

/** Engine options that can cross a process boundary (the provider and logger stay behind). */
export type EngineSettings = Omit<MirrorOptions, 'credentials' | 'registryCredentials' | 'logger'>;

export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface CommandArgs {
  start: { host: string; port: number };
  stop: Record<string, never>;
  status: Record<string, never>;
  listCache: Record<string, never>;
  deleteImage: { registry: string; repository: string; reference?: string };
  clearCache: Record<string, never>;
  pinImage: { registry: string; repository: string; tag: string; pinned: boolean };
  refreshKept: { image?: string };
  setKeepWarm: { settings: KeepWarmSettings };
  startPrefetch: { images: string[] };
  expiryPreview: { expireAfterMs?: number | null };
}

export interface CommandResults {
  start: { host: string; port: number };
  stop: null;
  status: MirrorStatus;
  listCache: CachedRepository[];
  deleteImage: null;
  clearCache: null;
  pinImage: null;
  refreshKept: KeptImageStatus[];
  setKeepWarm: KeptImageStatus[];
  startPrefetch: PrefetchStatus;
  expiryPreview: ExpiryPreview;
}

export type CommandName = keyof CommandArgs;

export const commandNames: readonly CommandName[] = ['start', 'stop', 'status', 'listCache', 'deleteImage', 'clearCache', 'pinImage', 'refreshKept', 'setKeepWarm', 'startPrefetch', 'expiryPreview'];

export type ParentMessage =
  /** Makes `engine` the child's engine; the previous one is stopped first. */
  | {
      type: 'configure';
      engine: number;
      settings: EngineSettings;
      hasCredentials: boolean;
      /** Registries other than docker.io whose credentials the child may ask for by name. */
      credentialRegistries?: string[];
      logLevel: LogLevelName;
    }
  | { [C in CommandName]: { type: 'command'; id: number; command: C; args: CommandArgs[C] } }[CommandName]
  | { type: 'credentials'; id: number; credentials: UpstreamCredentials | null }
  | { type: 'log-level'; level: LogLevelName }
  /** Stop serving (in-flight pulls finish) and exit. */
  | { type: 'shutdown' };

export interface WireError {
  code: string;
  message: string;
}

export type ChildMessage =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: WireError }
  /** Pushed after every command, soon after events, and at an interval while it changes. */
  | { type: 'status'; engine: number; status: MirrorStatus }
  | { type: 'event'; engine: number; event: MirrorEvent }
  /** One pino JSON line, already redacted. */
  | { type: 'log'; line: string }
  /** `registry` absent: docker.io's (the engine's `credentials`). */
  | { type: 'credentials-request'; id: number; registry?: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The app checks every message it receives: a confused child must not crash the core. */
export function isChildMessage(value: unknown): value is ChildMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'reply':
      return typeof value['id'] === 'number' && (value['ok'] === true || (value['ok'] === false && isObject(value['error'])));
    case 'status':
      return typeof value['engine'] === 'number' && isObject(value['status']) && Array.isArray((value['status'] as { problems?: unknown }).problems);
    case 'event':
      return typeof value['engine'] === 'number' && isObject(value['event']);
    case 'log':
      return typeof value['line'] === 'string';
    case 'credentials-request':
      return typeof value['id'] === 'number' && (value['registry'] === undefined || typeof value['registry'] === 'string');
    default:
      return false;
  }
}

export function isParentMessage(value: unknown): value is ParentMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'configure':
      return typeof value['engine'] === 'number' && isObject(value['settings']);
    case 'command':
      return typeof value['id'] === 'number' && commandNames.includes(value['command'] as CommandName) && isObject(value['args']);
    case 'credentials':
      return typeof value['id'] === 'number';
    case 'log-level':
      return typeof value['level'] === 'string';
    case 'shutdown':
      return true;
    default:
      return false;
  }
}
