// DockmirrorApi for a browser tab served by the headless host: calls are JSON POSTs carrying the
// token in a header, events arrive over one Server-Sent Events stream shared by all listeners.
import type { AppState, DockmirrorApi, MirrorEvent } from '../../main/shared/contract.js';

export interface HttpClientOptions {
  token: string;
  /** Origin of the headless server; default the page's own. */
  baseUrl?: string;
}

/** A failed call, with the plain sentence the core gave and its stable code. */
export class ApiCallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createHttpClient(options: HttpClientOptions): DockmirrorApi {
  const base = (options.baseUrl ?? '').replace(/\/$/, '');
  const eventListeners = new Set<(event: MirrorEvent) => void>();
  const stateListeners = new Set<(state: AppState) => void>();
  let source: EventSource | null = null;

  async function call<T>(method: string, ...args: unknown[]): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${base}/api/call/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Dockmirror-Token': options.token },
        body: JSON.stringify(args),
      });
    } catch {
      throw new ApiCallError('offline', 'Dockmirror is not answering. Is it still running?');
    }
    let payload: { result?: T; error?: { code: string; message: string } };
    try {
      payload = (await response.json()) as typeof payload;
    } catch {
      throw new ApiCallError('bad-response', `Dockmirror answered ${response.status} without a usable reply.`);
    }
    if (payload.error) throw new ApiCallError(payload.error.code, payload.error.message);
    return payload.result as T;
  }

  function ensureStream(): void {
    if (source || (eventListeners.size === 0 && stateListeners.size === 0)) return;
    // EventSource cannot send headers; the token goes in the query (the page's cookie would do too).
    source = new EventSource(`${base}/api/events?token=${encodeURIComponent(options.token)}`);
    source.addEventListener('mirror', (message) => {
      const event = JSON.parse((message as MessageEvent<string>).data) as MirrorEvent;
      for (const listener of eventListeners) listener(event);
    });
    // EventSource reconnects by itself; what changed while it was away arrives as one fresh state.
    let lost = false;
    source.addEventListener('error', () => {
      lost = true;
    });
    source.addEventListener('open', () => {
      if (!lost) return;
      lost = false;
      call<AppState>('getState').then(
        (state) => {
          for (const listener of stateListeners) listener(state);
        },
        () => {},
      );
    });
    source.addEventListener('state', (message) => {
      const state = JSON.parse((message as MessageEvent<string>).data) as AppState;
      for (const listener of stateListeners) listener(state);
    });
  }

  function releaseStream(): void {
    if (source && eventListeners.size === 0 && stateListeners.size === 0) {
      source.close();
      source = null;
    }
  }

  function listen<T>(set: Set<(value: T) => void>, listener: (value: T) => void): () => void {
    set.add(listener);
    ensureStream();
    return () => {
      set.delete(listener);
      releaseStream();
    };
  }

  return {
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
    onEvent: (listener) => listen(eventListeners, listener),
    onState: (listener) => listen(stateListeners, listener),
  };
}
