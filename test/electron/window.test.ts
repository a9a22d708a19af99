// Window security as plain functions over stand-ins for Electron's objects: the preferences
// the window is created with, navigation, new windows and webviews refused, permissions and
// network requests denied, and the renderer page's own Content-Security-Policy.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { blockedRequestUrls, createSecureWindow, hardenSession, hardenWebContents } from '../../main/electron/window.js';

const rendererUrl = pathToFileURL('/opt/Dockmirror/resources/app.asar/dist/renderer/index.html').href;

test('the window is created sandboxed, context-isolated, without Node and with our preload', () => {
  let given: BrowserWindowConstructorOptions | undefined;
  class RecordingWindow {
    constructor(options: BrowserWindowConstructorOptions) {
      given = options;
    }
  }
  const window = createSecureWindow(RecordingWindow, '/app/dist/main/preload.cjs');
  assert.ok(window instanceof RecordingWindow);
  const prefs = given?.webPreferences;
  assert.deepEqual(
    {
      preload: prefs?.preload,
      contextIsolation: prefs?.contextIsolation,
      sandbox: prefs?.sandbox,
      nodeIntegration: prefs?.nodeIntegration,
      nodeIntegrationInWorker: prefs?.nodeIntegrationInWorker,
      nodeIntegrationInSubFrames: prefs?.nodeIntegrationInSubFrames,
      webSecurity: prefs?.webSecurity,
      allowRunningInsecureContent: prefs?.allowRunningInsecureContent,
      webviewTag: prefs?.webviewTag,
      experimentalFeatures: prefs?.experimentalFeatures,
    },
    {
      preload: '/app/dist/main/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    },
  );
  assert.equal(prefs?.enableBlinkFeatures, undefined);
  assert.equal(given?.show, false);
});

function preventable() {
  const event = { prevented: false, preventDefault: () => void (event.prevented = true) };
  return event;
}

test('navigation, redirects, new windows and webviews are all refused', () => {
  const contents = Object.assign(new EventEmitter(), {
    openHandler: undefined as undefined | ((details: { url: string }) => { action: string }),
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      this.openHandler = handler;
    },
  });
  hardenWebContents(contents as unknown as WebContents);
  for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
    const event = preventable();
    contents.emit(name, event, 'https://evil.example/');
    assert.equal(event.prevented, true, name);
  }
  for (const url of ['https://evil.example/', rendererUrl, 'file:///etc/passwd', 'javascript:alert(1)']) {
    assert.deepEqual(contents.openHandler?.({ url }), { action: 'deny' }, url);
  }
});

type RequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void, details: { isMainFrame: boolean; requestingUrl: string }) => void;
type CheckHandler = (contents: unknown, permission: string, origin: string, details: { isMainFrame: boolean; requestingUrl?: string }) => boolean;

function hardenedSession() {
  const recorded = {
    request: undefined as RequestHandler | undefined,
    check: undefined as CheckHandler | undefined,
    device: undefined as (() => boolean) | undefined,
    filter: undefined as { urls: string[] } | undefined,
    onRequest: undefined as ((details: { url: string }, callback: (response: { cancel?: boolean }) => void) => void) | undefined,
  };
  const session = {
    setPermissionRequestHandler: (handler: RequestHandler) => void (recorded.request = handler),
    setPermissionCheckHandler: (handler: CheckHandler) => void (recorded.check = handler),
    setDevicePermissionHandler: (handler: () => boolean) => void (recorded.device = handler),
    webRequest: {
      onBeforeRequest: (filter: { urls: string[] }, listener: typeof recorded.onRequest) => {
        recorded.filter = filter;
        recorded.onRequest = listener;
      },
    },
  };
  hardenSession(session as unknown as Session, rendererUrl);
  return recorded;
}

function requested(handler: RequestHandler | undefined, permission: string, requestingUrl: string, isMainFrame = true): boolean {
  let granted: boolean | undefined;
  handler?.({}, permission, (answer) => void (granted = answer), { isMainFrame, requestingUrl });
  assert.notEqual(granted, undefined, 'the handler always answers');
  return granted!;
}

test('permission requests and checks are denied, except clipboard writes by our own page', () => {
  const session = hardenedSession();
  for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'fileSystem', 'clipboard-read', 'fullscreen', 'unknown']) {
    assert.equal(requested(session.request, permission, rendererUrl), false, permission);
    assert.equal(session.check?.({}, permission, 'file:///', { isMainFrame: true, requestingUrl: rendererUrl }), false, permission);
  }
  assert.equal(requested(session.request, 'clipboard-sanitized-write', rendererUrl), true);
  assert.equal(session.check?.({}, 'clipboard-sanitized-write', 'file:///', { isMainFrame: true, requestingUrl: `${rendererUrl}#connect` }), true);
  assert.equal(requested(session.request, 'clipboard-sanitized-write', 'https://evil.example/'), false);
  assert.equal(requested(session.request, 'clipboard-sanitized-write', rendererUrl, false), false);
  assert.equal(session.check?.({}, 'clipboard-sanitized-write', 'file:///', { isMainFrame: true }), false);
  assert.equal(session.device?.(), false);
});

test('the page cannot reach the network: every http, https and websocket request is cancelled', () => {
  const session = hardenedSession();
  assert.deepEqual(session.filter?.urls, blockedRequestUrls);
  for (const scheme of ['http', 'https', 'ws', 'wss']) assert.ok(blockedRequestUrls.includes(`${scheme}://*/*`), scheme);
  let response: { cancel?: boolean } | undefined;
  session.onRequest?.({ url: 'https://evil.example/' }, (answer) => void (response = answer));
  assert.deepEqual(response, { cancel: true });
});

test('the renderer page carries a strict Content-Security-Policy', async () => {
  const html = await readFile(fileURLToPath(new URL('../../../renderer/static/index.html', import.meta.url)), 'utf8');
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  assert.ok(meta, 'index.html has a CSP meta tag');
  const directives = new Map(
    meta[1]!.split(';').map((part) => part.trim().split(/\s+/)).filter((words) => words[0]).map(([name, ...values]) => [name!, values]),
  );
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), ["'self'"]);
  assert.deepEqual(directives.get('base-uri'), ["'none'"]);
  assert.equal(directives.has('object-src') && directives.get('object-src')?.join(' ') !== "'none'", false);
  // Nothing may widen it: no inline or eval'd code, no wildcard or whole scheme as a source;
  // data: only for images.
  for (const [name, values] of directives) {
    for (const value of values) {
      assert.doesNotMatch(value, /unsafe-|^\*$|^https?:$|^blob:$|^file:$/, `${name} ${value}`);
      if (name !== 'img-src') assert.notEqual(value, 'data:', name);
    }
  }
});
