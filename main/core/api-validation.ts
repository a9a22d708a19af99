// Every way into the core from a window — the headless host's HTTP calls and Electron's IPC —
// goes through this one table, so both validate the same arguments the same way: a page is as
// untrusted as any other client, whatever carries its call.
// Arguments that become paths are checked against their grammar here (api-arguments.ts).
import { BadRequest, folderPath, imageReference, registryName, repositoryName } from './api-arguments.js';
import { imageName, listFileName, platformList, prefetchText } from './cache-arguments.js';
import type { AppSettings, CacheMoveMode, DockmirrorApi } from '../shared/contract.js';

export { BadRequest };

type Args = readonly unknown[];
export type ApiCall = (api: DockmirrorApi, args: Args) => Promise<unknown>;
/** The callable methods: every DockmirrorApi method except the two subscriptions. */
export type ApiMethodName = Exclude<keyof DockmirrorApi, 'onEvent' | 'onState'>;

function str(args: Args, index: number, name: string): string {
  const value = args[index];
  if (typeof value !== 'string') throw new BadRequest(`The ${name} must be text.`);
  return value;
}

function optionalReference(args: Args, index: number): string | undefined {
  return args[index] === undefined || args[index] === null ? undefined : imageReference(args[index]);
}

const settingKeys: ReadonlySet<keyof AppSettings> = new Set<keyof AppSettings>([
  'cachePath',
  'maxSizeBytes',
  'minFreeBytes',
  'listenHost',
  'port',
  'upstream',
  'registries',
  'tagTtlSeconds',
  'allowlist',
  'clientAuth',
  'startMirrorOnLaunch',
  'launchAtLogin',
  'logLevel',
  'keepWarm',
  'expireAfterDays',
]);

function patch(args: Args): Partial<AppSettings> {
  const value = args[0];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequest('The settings change must be an object.');
  }
  const unknown = Object.keys(value).filter((key) => !settingKeys.has(key as keyof AppSettings));
  if (unknown.length > 0) throw new BadRequest(`There is no setting called "${unknown[0]}".`);
  // The core validates each value; here only the shape crosses, and the one path keeps its grammar.
  const settings = value as Partial<AppSettings>;
  if ('cachePath' in settings) folderPath(settings.cachePath, 'cache folder');
  return settings;
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
  saveCredentials: (api, args) => api.saveCredentials(str(args, 0, 'user name'), str(args, 1, 'access token'), args[2] === undefined ? undefined : registryName(args[2])),
  testCredentials: (api, args) => api.testCredentials(args[0] === undefined ? undefined : registryName(args[0])),
  deleteCredentials: (api, args) => api.deleteCredentials(args[0] === undefined ? undefined : registryName(args[0])),
  setClientPassword: (api, args) => api.setClientPassword(str(args, 0, 'password')),
  pickFolder: (api) => api.pickFolder(),
  listDirectory: (api, args) => api.listDirectory(folderPath(args[0])),
  checkCachePath: (api, args) => api.checkCachePath(folderPath(args[0])),
  changeCachePath: (api, args) => api.changeCachePath(folderPath(args[0]), moveMode(args)),
  openCacheFolder: (api) => api.openCacheFolder(),
  listCache: (api) => api.listCache(),
  deleteCachedImage: (api, args) =>
    api.deleteCachedImage(registryName(args[0]), repositoryName(args[1]), optionalReference(args, 2)),
  clearCache: (api) => api.clearCache(),
  pinCachedImage: (api, args) => {
    const tag = optionalReference(args, 2);
    if (tag === undefined || tag.includes(':')) throw new BadRequest('Pin a tag, such as latest.');
    if (typeof args[3] !== 'boolean') throw new BadRequest('Say whether to pin (true) or unpin (false).');
    return api.pinCachedImage(registryName(args[0]), repositoryName(args[1]), tag, args[3]);
  },
  keepImageWarm: (api, args) => {
    if (typeof args[1] !== 'boolean') throw new BadRequest('Say whether to keep the image warm (true) or not (false).');
    return api.keepImageWarm(imageName(args[0]), args[1], platformList(args[2]));
  },
  refreshKeptImages: (api, args) => api.refreshKeptImages(args[0] === undefined || args[0] === null ? undefined : imageName(args[0])),
  startPrefetch: (api, args) => api.startPrefetch(prefetchText(args[0]), args[1] === undefined || args[1] === null ? undefined : listFileName(args[1])),
  expiryPreview: (api) => api.expiryPreview(),
  recentEvents: (api) => api.recentEvents(),
  recentClients: (api) => api.recentClients(),
});

export const apiMethodNames = Object.freeze(Object.keys(apiCalls) as ApiMethodName[]);
