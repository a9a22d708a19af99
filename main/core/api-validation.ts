// Every way into the core from a window — the headless host's HTTP calls and Electron's IPC —
// goes through this one table, so both validate the same arguments the same way: a page is as
// untrusted as any other client, whatever carries its call.
import type { AppSettings, CacheMoveMode, DockmirrorApi } from './contract.js';

/** An argument that does not have the shape the method needs; crosses as `{ code, message }`. */
export class BadRequest extends Error {
  readonly code = 'bad-request';
}

type Args = readonly unknown[];
export type ApiCall = (api: DockmirrorApi, args: Args) => Promise<unknown>;
/** The callable methods: every DockmirrorApi method except the two subscriptions. */
export type ApiMethodName = Exclude<keyof DockmirrorApi, 'onEvent' | 'onState'>;

function str(args: Args, index: number, name: string): string {
  const value = args[index];
  if (typeof value !== 'string') throw new BadRequest(`The ${name} must be text.`);
  return value;
}

function optionalStr(args: Args, index: number, name: string): string | undefined {
  return args[index] === undefined || args[index] === null ? undefined : str(args, index, name);
}

const settingKeys: ReadonlySet<keyof AppSettings> = new Set<keyof AppSettings>([
  'cachePath',
  'maxSizeBytes',
  'minFreeBytes',
  'listenHost',
  'port',
  'upstream',
  'tagTtlSeconds',
  'allowlist',
  'clientAuth',
  'startMirrorOnLaunch',
  'launchAtLogin',
  'logLevel',
]);

function patch(args: Args): Partial<AppSettings> {
  const value = args[0];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequest('The settings change must be an object.');
  }
  const unknown = Object.keys(value).filter((key) => !settingKeys.has(key as keyof AppSettings));
  if (unknown.length > 0) throw new BadRequest(`There is no setting called "${unknown[0]}".`);
  // The core validates each value; here only the shape crosses.
  return value as Partial<AppSettings>;
}

function moveMode(args: Args): CacheMoveMode {
  const mode = args[1];
  if (mode !== 'move' && mode !== 'empty') throw new BadRequest('Choose whether to move the cache or start empty.');
  return mode;
}

export const apiCalls: Readonly<Record<ApiMethodName, ApiCall>> = Object.freeze({
  getState: (api) => api.getState(),
  startMirror: (api) => api.startMirror(),
  stopMirror: (api) => api.stopMirror(),
  updateSettings: (api, args) => api.updateSettings(patch(args)),
  saveCredentials: (api, args) => api.saveCredentials(str(args, 0, 'user name'), str(args, 1, 'access token')),
  testCredentials: (api) => api.testCredentials(),
  deleteCredentials: (api) => api.deleteCredentials(),
  setClientPassword: (api, args) => api.setClientPassword(str(args, 0, 'password')),
  pickFolder: (api) => api.pickFolder(),
  listDirectory: (api, args) => api.listDirectory(str(args, 0, 'folder')),
  checkCachePath: (api, args) => api.checkCachePath(str(args, 0, 'folder')),
  changeCachePath: (api, args) => api.changeCachePath(str(args, 0, 'folder'), moveMode(args)),
  openCacheFolder: (api) => api.openCacheFolder(),
  listCache: (api) => api.listCache(),
  deleteCachedImage: (api, args) =>
    api.deleteCachedImage(str(args, 0, 'registry'), str(args, 1, 'repository'), optionalStr(args, 2, 'tag')),
  clearCache: (api) => api.clearCache(),
  recentEvents: (api) => api.recentEvents(),
  recentClients: (api) => api.recentClients(),
});

export const apiMethodNames = Object.freeze(Object.keys(apiCalls) as ApiMethodName[]);
