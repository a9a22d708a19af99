// The IPC handlers in plain Node: one per API method, the sender check (our window, its top
// frame, our renderer file), argument validation shared with the headless host, errors as
// { code, message } with no stack, and state and events pushed to the window.
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { apiMethodNames } from '../../main/core/api-validation.js';
import type { AppState, DockmirrorApi, MirrorEvent } from '../../main/shared/contract.js';
import { CoreError } from '../../main/core/core-error.js';
import { eventChannel, invokeChannel, stateChannel } from '../../main/electron/channels.js';
import { createSenderCheck, forwardToWindow, isRendererUrl, registerIpcHandlers } from '../../main/electron/ipc.js';
import { sampleState } from '../support/app-state.js';
import { FakeIpcMain, FakeWebContents, type FakeSender } from '../support/fake-electron.js';

const rendererUrl = pathToFileURL('/opt/Dockmirror/resources/app.asar/dist/renderer/index.html').href;
const own: FakeSender = { id: 7, frameUrl: rendererUrl };

/** A core stand-in that records every call that reaches it and answers from a sample state. */
function recordingApi(fail?: Error): { api: DockmirrorApi; calls: Array<[string, unknown[]]> } {
  const calls: Array<[string, unknown[]]> = [];
  const api = new Proxy({} as DockmirrorApi, {
    get: (_target, name: string) => async (...args: unknown[]) => {
      calls.push([name, args]);
      if (fail) throw fail;
      return name === 'openCacheFolder' ? undefined : sampleState();
    },
  });
  return { api, calls };
}

function setup(fail?: Error) {
  const ipcMain = new FakeIpcMain();
  const window = { contents: new FakeWebContents(7) as FakeWebContents | null };
  const { api, calls } = recordingApi(fail);
  const unregister = registerIpcHandlers(ipcMain, api, createSenderCheck({ windowContents: () => window.contents, rendererUrl }));
  return { ipcMain, window, calls, unregister };
}

test('one handler per API method, on its fixed channel, and unregistering removes them all', () => {
  const { ipcMain, unregister } = setup();
  assert.deepEqual([...ipcMain.handlers.keys()].sort(), apiMethodNames.map((name) => `dockmirror:${name}`).sort());
  // apiCalls is typed against DockmirrorApi, so the contract's every call is in apiMethodNames;
  // the count follows from it instead of being pinned.
  assert.equal(ipcMain.handlers.size, apiMethodNames.length);
  unregister();
  assert.equal(ipcMain.handlers.size, 0);
});

test('a call from our window reaches the core with its validated arguments', async () => {
  const { ipcMain, calls } = setup();
  const reply = (await ipcMain.invoke(own, invokeChannel('changeCachePath'), '/srv/cache', 'move')) as { ok: boolean; result: AppState };
  assert.equal(reply.ok, true);
  assert.equal(reply.result.settings.port, 5000);
  assert.deepEqual(await ipcMain.invoke(own, invokeChannel('openCacheFolder')), { ok: true, result: null });
  await ipcMain.invoke(own, invokeChannel('deleteCachedImage'), 'docker.io', 'library/nginx', null);
  assert.deepEqual(calls, [
    ['changeCachePath', ['/srv/cache', 'move']],
    ['openCacheFolder', []],
    ['deleteCachedImage', ['docker.io', 'library/nginx', undefined]],
  ]);
});

test('bad arguments are refused before the core, as a code and a plain sentence', async () => {
  const { ipcMain, calls } = setup();
  const cases: Array<[string, unknown[], string]> = [
    ['updateSettings', ['port=1'], 'The settings change must be an object.'],
    ['updateSettings', [{ port: 5001, __proto__x: 1 }], 'There is no setting called "__proto__x".'],
    ['updateSettings', [[{ port: 1 }]], 'The settings change must be an object.'],
    ['saveCredentials', [42, 'token'], 'The user name must be text.'],
    ['saveCredentials', ['alice'], 'The access token must be text.'],
    ['changeCachePath', ['/srv/cache', 'sideways'], 'Choose whether to move the cache or start empty.'],
    ['listDirectory', [{ path: '/' }], 'The folder must be text.'],
    ['deleteCachedImage', ['docker.io', 'library/nginx', 5], 'The tag must be text.'],
  ];
  for (const [method, args, message] of cases) {
    const reply = await ipcMain.invoke(own, `dockmirror:${method}`, ...args);
    assert.deepEqual(reply, { ok: false, error: { code: 'bad-request', message } }, method);
  }
  assert.deepEqual(calls, []);
});

test('a core failure crosses as its code and sentence, never a stack trace', async () => {
  const { ipcMain } = setup(new CoreError('start-failed', 'Port 5000 on 0.0.0.0 is already in use; 5001 is free.'));
  const reply = await ipcMain.invoke(own, invokeChannel('startMirror'));
  assert.deepEqual(reply, { ok: false, error: { code: 'start-failed', message: 'Port 5000 on 0.0.0.0 is already in use; 5001 is free.' } });
  const crash = setup(new TypeError("Cannot read properties of undefined (reading 'port')"));
  const crashed = (await crash.ipcMain.invoke(own, invokeChannel('getState'))) as { ok: false; error: Record<string, string> };
  assert.deepEqual(Object.keys(crashed.error).sort(), ['code', 'message']);
  assert.equal(crashed.error['code'], 'failed');
  assert.doesNotMatch(JSON.stringify(crashed), /\bat .*\.js:\d+|ipc\.ts|stack/);
});

test('only our window\'s top frame showing our renderer file may call', async () => {
  const { ipcMain, window, calls } = setup();
  const refused = { ok: false, error: { code: 'forbidden', message: 'Only the Dockmirror window may do that.' } };
  const strangers: FakeSender[] = [
    { id: 8, frameUrl: rendererUrl }, // another webContents (a devtools or stray window)
    { id: 7, frameUrl: rendererUrl, subframe: true },
    { id: 7, frameUrl: 'https://evil.example/index.html' },
    { id: 7, frameUrl: pathToFileURL('/tmp/index.html').href },
    { id: 7, frameUrl: rendererUrl.replace('file://', 'file://fileserver') },
    { id: 7, frameUrl: 'data:text/html,<script>1</script>' },
    { id: 7, frameUrl: null }, // the frame already navigated away or was destroyed
  ];
  for (const sender of strangers) assert.deepEqual(await ipcMain.invoke(sender, invokeChannel('stopMirror')), refused, JSON.stringify(sender));
  window.contents = null;
  assert.deepEqual(await ipcMain.invoke(own, invokeChannel('stopMirror')), refused, 'no window open');
  assert.deepEqual(calls, []);
  window.contents = new FakeWebContents(7);
  assert.equal(((await ipcMain.invoke({ ...own, frameUrl: `${rendererUrl}#settings` }, invokeChannel('stopMirror'))) as { ok: boolean }).ok, true);
  assert.equal(calls.length, 1);
});

test('the renderer URL check ignores the view hash and percent-encoding, nothing else', () => {
  const spaced = pathToFileURL('/home/a b/Dockmirror/dist/renderer/index.html').href;
  assert.ok(spaced.includes('%20'));
  assert.equal(isRendererUrl('file:///home/a%20b/Dockmirror/dist/renderer/index.html#live', spaced), true);
  assert.equal(isRendererUrl('file:///home/a%20b/Dockmirror/dist/renderer/../renderer/index.html', spaced), true);
  assert.equal(isRendererUrl('file:///home/a%20b/Dockmirror/dist/renderer/other.html', spaced), false);
  assert.equal(isRendererUrl('not a url', spaced), false);
});

test('state and events are pushed to the window while it is there, and stop when unsubscribed', () => {
  const eventListeners = new Set<(event: MirrorEvent) => void>();
  const stateListeners = new Set<(state: AppState) => void>();
  const source = {
    onEvent: (listener: (event: MirrorEvent) => void) => (eventListeners.add(listener), () => void eventListeners.delete(listener)),
    onState: (listener: (state: AppState) => void) => (stateListeners.add(listener), () => void stateListeners.delete(listener)),
  };
  let contents: FakeWebContents | null = null;
  const stop = forwardToWindow(source, () => contents);
  const event: MirrorEvent = { type: 'pull', id: 'p1', time: '2026-01-01T00:00:00Z', client: '10.0.0.21', repository: 'library/nginx', reference: 'latest', blobs: 7, blobsFromCache: 5, bytes: 68e6, durationMs: 1200, ok: true, requestIds: [], summary: 'pulled' };
  for (const listener of eventListeners) listener(event); // no window: dropped without error
  contents = new FakeWebContents(7);
  for (const listener of eventListeners) listener(event);
  for (const listener of stateListeners) listener(sampleState());
  contents.destroyed = true;
  for (const listener of stateListeners) listener(sampleState());
  assert.deepEqual(contents.sent.map(([channel]) => channel), [eventChannel, stateChannel]);
  assert.deepEqual(contents.sent[0]![1], event);
  stop();
  assert.equal(eventListeners.size + stateListeners.size, 0);
});
