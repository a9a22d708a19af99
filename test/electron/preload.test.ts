// The compiled preload, run as Electron's sandbox runs it — a function of (exports, require,
// module) whose require knows only 'electron' — against a stand-in contextBridge and
// ipcRenderer wired to the real IPC handlers over the real app core.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileFunction } from 'node:vm';
import { test, type TestContext } from 'node:test';
import { createAppCore } from '../../main/core/app-core.js';
import { apiMethodNames } from '../../main/core/api-validation.js';
import type { AppState, DockmirrorApi } from '../../main/shared/contract.js';
import { memorySettingsStore, sessionKeychain } from '../../main/core/memory-stores.js';
import { eventChannel, stateChannel } from '../../main/electron/channels.js';
import { createSenderCheck, forwardToWindow, registerIpcHandlers } from '../../main/electron/ipc.js';
import { FakeIpcMain, FakeWebContents } from '../support/fake-electron.js';

const preloadFile = fileURLToPath(new URL('../../main/preload.cjs', import.meta.url));
const rendererUrl = pathToFileURL('/app/dist/renderer/index.html').href;

interface Loaded {
  exposed: Map<string, unknown>;
  invoked: string[];
  renderer: EventEmitter;
}

/** Runs the preload with `invoke` as ipcRenderer.invoke and records what it exposes. */
async function loadPreload(invoke: (channel: string, ...args: unknown[]) => Promise<unknown>, renderer = new EventEmitter()): Promise<Loaded> {
  const exposed = new Map<string, unknown>();
  const invoked: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, value: unknown) => void exposed.set(key, value) },
    ipcRenderer: {
      invoke: (channel: string, ...args: unknown[]) => (invoked.push(channel), invoke(channel, ...args)),
      on: (channel: string, listener: (...args: unknown[]) => void) => renderer.on(channel, listener),
      removeListener: (channel: string, listener: (...args: unknown[]) => void) => renderer.removeListener(channel, listener),
    },
  };
  const sandboxRequire = (name: string) => {
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${name}`);
  };
  const run = compileFunction(await readFile(preloadFile, 'utf8'), ['exports', 'require', 'module'], { filename: preloadFile });
  const module = { exports: {} };
  run(module.exports, sandboxRequire, module);
  return { exposed, invoked, renderer };
}

async function coreBehindIpc(t: TestContext) {
  const dataDir = await mkdtemp(join(tmpdir(), 'dm-preload-'));
  const core = createAppCore({ dataDir, settingsStore: memorySettingsStore({}), keychain: sessionKeychain() });
  await core.open();
  t.after(async () => {
    await core.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });
  const ipcMain = new FakeIpcMain();
  const contents = new FakeWebContents(3);
  registerIpcHandlers(ipcMain, core, createSenderCheck({ windowContents: () => contents, rendererUrl }));
  forwardToWindow(core, () => contents);
  const loaded = await loadPreload((channel, ...args) => ipcMain.invoke({ id: 3, frameUrl: rendererUrl }, channel, ...args), contents.renderer);
  return { ...loaded, api: loaded.exposed.get('dockmirror') as DockmirrorApi, dataDir };
}

test('the preload exposes exactly DockmirrorApi as window.dockmirror, and nothing else', async () => {
  const { exposed } = await loadPreload(async () => ({ ok: true, result: null }));
  assert.deepEqual([...exposed.keys()], ['dockmirror']);
  const api = exposed.get('dockmirror') as Record<string, unknown>;
  assert.deepEqual(Object.keys(api).sort(), [...apiMethodNames, 'onEvent', 'onState'].sort());
  for (const [name, value] of Object.entries(api)) assert.equal(typeof value, 'function', name);
});

test('every method invokes its own channel, the very channels main registers', async () => {
  const { exposed, invoked } = await loadPreload(async () => ({ ok: true, result: null }));
  const api = exposed.get('dockmirror') as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of apiMethodNames) await api[name]!('a', 'b', 'c');
  const ipcMain = new FakeIpcMain();
  registerIpcHandlers(ipcMain, {} as DockmirrorApi, () => true);
  assert.deepEqual(invoked, apiMethodNames.map((name) => `dockmirror:${name}`));
  assert.deepEqual([...invoked].sort(), [...ipcMain.handlers.keys()].sort());
});

test('calls reach the real core; its refusals arrive as errors with its sentence and code', async (t) => {
  const { api, dataDir } = await coreBehindIpc(t);
  const state = await api.getState();
  assert.equal(state.settings.cachePath, join(dataDir, 'cache'));
  const updated = await api.updateSettings({ tagTtlSeconds: 120 });
  assert.equal(updated.settings.tagTtlSeconds, 120);
  await assert.rejects(api.updateSettings({ port: 70000 }), (error: Error & { code?: string }) => {
    assert.equal(error.message, 'The port must be a number from 1 to 65535.');
    assert.equal(error.code, 'invalid-setting');
    return true;
  });
  await assert.rejects(api.updateSettings({ colour: 'red' } as never), { message: 'There is no setting called "colour".', code: 'bad-request' });
  await assert.rejects(api.changeCachePath(join(dataDir, 'elsewhere'), 'sideways' as never), { code: 'bad-request' });
  // No native picker without a desktop: the core says null rather than failing.
  assert.equal(await api.pickFolder(), null);
});

test('onState and onEvent hand the page the payload only, and unsubscribe', async (t) => {
  const { api, renderer } = await coreBehindIpc(t);
  const states: AppState[] = [];
  const received: unknown[][] = [];
  const stopState = api.onState((state) => states.push(state));
  const stopEvents = api.onEvent((...args) => received.push(args));
  await api.updateSettings({ logLevel: 'debug' });
  assert.equal(states.at(-1)?.settings.logLevel, 'debug');
  renderer.emit(eventChannel, { sender: 'ipc-renderer-event' }, { type: 'request', id: 'r1' });
  assert.deepEqual(received, [[{ type: 'request', id: 'r1' }]]);
  stopState();
  stopEvents();
  assert.equal(renderer.listenerCount(stateChannel) + renderer.listenerCount(eventChannel), 0);
  await api.updateSettings({ logLevel: 'info' });
  assert.equal(states.at(-1)?.settings.logLevel, 'debug');
  assert.throws(() => api.onState('not a function' as never), /listener must be a function/);
});
