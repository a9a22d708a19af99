// The window's only door to the main process. A sandboxed preload may require nothing but
// 'electron', so this file stands alone: it carries its own channel names (a test holds them
// equal to main's) and exposes exactly DockmirrorApi — never ipcRenderer itself, which would let
// the page send on any channel.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { AppState, DockmirrorApi, MirrorEvent } from './shared/contract.js';

type Reply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

const invokeChannels: ReadonlySet<string> = new Set([
  'getState',
  'startMirror',
  'stopMirror',
  'updateSettings',
  'saveCredentials',
  'testCredentials',
  'deleteCredentials',
  'setClientPassword',
  'pickFolder',
  'listDirectory',
  'checkCachePath',
  'changeCachePath',
  'openCacheFolder',
  'listCache',
  'deleteCachedImage',
  'clearCache',
  'pinCachedImage',
  'keepImageWarm',
  'refreshKeptImages',
  'startPrefetch',
  'expiryPreview',
  'recentEvents',
  'recentClients',
]);
const eventChannel = 'dockmirror:push:event';
const stateChannel = 'dockmirror:push:state';

async function call<T>(method: string, ...args: unknown[]): Promise<T> {
  if (!invokeChannels.has(method)) throw new Error(`Dockmirror has no action called ${method}.`);
  const reply = (await ipcRenderer.invoke(`dockmirror:${method}`, ...args)) as Reply;
  // Only the message survives the context bridge; the code rides along for callers in this world.
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  return reply.result as T;
}

function subscribe<T>(channel: string, listener: (payload: T) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError('A listener must be a function.');
  // The page gets the payload only, never the IPC event (whose sender could reach ipcRenderer).
  const handler = (_event: IpcRendererEvent, payload: T) => listener(payload);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
}

const api: DockmirrorApi = {
  getState: () => call('getState'),
  startMirror: () => call('startMirror'),
  stopMirror: () => call('stopMirror'),
  updateSettings: (patch) => call('updateSettings', patch),
  saveCredentials: (username, token, registry) => (registry === undefined ? call('saveCredentials', username, token) : call('saveCredentials', username, token, registry)),
  testCredentials: (registry) => (registry === undefined ? call('testCredentials') : call('testCredentials', registry)),
  deleteCredentials: (registry) => (registry === undefined ? call('deleteCredentials') : call('deleteCredentials', registry)),
  setClientPassword: (password) => call('setClientPassword', password),
  pickFolder: () => call('pickFolder'),
  listDirectory: (path) => call('listDirectory', path),
  checkCachePath: (path) => call('checkCachePath', path),
  changeCachePath: (path, mode) => call('changeCachePath', path, mode),
  openCacheFolder: () => call('openCacheFolder'),
  listCache: () => call('listCache'),
  deleteCachedImage: (registry, repository, reference) => call('deleteCachedImage', registry, repository, reference ?? null),
  clearCache: () => call('clearCache'),
  pinCachedImage: (registry, repository, tag, pinned) => call('pinCachedImage', registry, repository, tag, pinned),
  keepImageWarm: (name, keep, platforms) => call('keepImageWarm', name, keep, platforms ?? null),
  refreshKeptImages: (image) => call('refreshKeptImages', image ?? null),
  startPrefetch: (text, fileName) => call('startPrefetch', text, fileName ?? null),
  expiryPreview: () => call('expiryPreview'),
  recentEvents: () => call('recentEvents'),
  recentClients: () => call('recentClients'),
  onEvent: (listener) => subscribe<MirrorEvent>(eventChannel, listener),
  onState: (listener) => subscribe<AppState>(stateChannel, listener),
};

contextBridge.exposeInMainWorld('dockmirror', api);
