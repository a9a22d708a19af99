// The window does not know its host: Electron's preload puts the API on window.dockmirror; in a
// plain browser the headless server's token (from the first URL) drives the HTTP client.
import type { DockmirrorApi } from '../../main/shared/contract.js';
import { createHttpClient } from './http-client.js';

declare global {
  interface Window {
    dockmirror?: DockmirrorApi;
  }
}

const tokenKey = 'dockmirror-token';

export async function selectApi(): Promise<DockmirrorApi> {
  if (window.dockmirror) return window.dockmirror;
  const url = new URL(window.location.href);
  let token = url.searchParams.get('token');
  if (token) {
    sessionStorage.setItem(tokenKey, token);
    // Keep the secret out of the address bar, history and screenshots.
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  } else {
    token = sessionStorage.getItem(tokenKey);
  }
  if (!token) {
    // A reload in a new tab still carries the page's cookie; the server hands the token back.
    const response = await fetch('/api/session');
    if (!response.ok) throw new Error('Open the address Dockmirror printed at startup; it carries the access token.');
    token = ((await response.json()) as { token: string }).token;
    sessionStorage.setItem(tokenKey, token);
  }
  return createHttpClient({ token });
}
