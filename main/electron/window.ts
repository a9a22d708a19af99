// The window's security, as plain functions over the Electron objects they configure, so the
// tests can hand them fakes: a sandboxed, context-isolated page with no Node, that cannot
// navigate, open windows, embed webviews, reach the network or get any permission — except
// writing to the clipboard, which the Copy buttons need, and only for our own page.
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { isRendererUrl } from './ipc.js';

type WindowClass<W> = new (options: BrowserWindowConstructorOptions) => W;

/**
 * Creates the window with every security preference spelled out in one literal — the parameter
 * is named BrowserWindow so electronegativity, which reads this file, checks that literal.
 */
export function createSecureWindow<W>(BrowserWindow: WindowClass<W>, preloadPath: string): W {
  return new BrowserWindow({
    title: 'Dockmirror',
    width: 1100,
    height: 760,
    minWidth: 900,
    minHeight: 600,
    // Shown once the page has painted, so the window never flashes empty.
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // Middle clicks would otherwise open links in new windows past will-navigate.
      disableBlinkFeatures: 'Auxclick',
    },
  });
}

type Hardenable = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/** For every web contents the app creates: nothing may leave the page it was given. */
export function hardenWebContents(contents: Hardenable): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

type HardenableSession = Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'> & {
  webRequest: Pick<Session['webRequest'], 'onBeforeRequest'>;
};

const clipboardWrite = 'clipboard-sanitized-write';
/** The page is local files only; anything else it asks for is a bug or an attack. */
export const blockedRequestUrls = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*'];

export function hardenSession(session: HardenableSession, rendererUrl: string): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(permission === clipboardWrite && details.isMainFrame && isRendererUrl(details.requestingUrl, rendererUrl));
  });
  session.setPermissionCheckHandler((_contents, permission, _origin, details) => {
    return permission === clipboardWrite && details.isMainFrame && isRendererUrl(details.requestingUrl ?? '', rendererUrl);
  });
  session.setDevicePermissionHandler(() => false);
  session.webRequest.onBeforeRequest({ urls: blockedRequestUrls }, (_details, callback) => callback({ cancel: true }));
}
