// The main-process side of the window API: one ipcMain.handle per method, each behind the
// sender check and the same argument validation the headless host uses. Results and errors
// travel in an IpcReply envelope, because an Error thrown from a handler reaches the page as
// "Error invoking remote method…" text and the core's stable code would be lost.
import { fileURLToPath } from 'node:url';
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { apiCalls, apiMethodNames } from '../core/api-validation.js';
import type { DockmirrorApi } from '../shared/contract.js';
import { toCoreError } from '../core/core-error.js';
import { eventChannel, invokeChannel, stateChannel, type IpcReply } from './channels.js';

export type IpcMainLike = Pick<IpcMain, 'handle' | 'removeHandler'>;
type SenderEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

export interface SenderCheckOptions {
  /** The window whose page may call; null while there is none. */
  windowContents: () => Pick<WebContents, 'id'> | null;
  /** file:// URL of the renderer's index.html. */
  rendererUrl: string;
}

/** The page's own file, ignoring the #view the renderer keeps in the hash. */
export function isRendererUrl(url: string, rendererUrl: string): boolean {
  let given: URL;
  try {
    given = new URL(url);
  } catch {
    return false;
  }
  if (given.protocol !== 'file:' || given.host !== '') return false;
  // Compared as paths so %-encoding differences (spaces in the install folder) do not matter.
  try {
    return fileURLToPath(given) === fileURLToPath(rendererUrl);
  } catch {
    return false;
  }
}

/** Only our window's top frame, showing our own renderer file, may call into the core. */
export function createSenderCheck(options: SenderCheckOptions): (event: SenderEvent) => boolean {
  return (event) => {
    const own = options.windowContents();
    const frame = event.senderFrame;
    if (!own || event.sender.id !== own.id || !frame) return false;
    return frame.parent === null && isRendererUrl(frame.url, options.rendererUrl);
  };
}

const refused: IpcReply = { ok: false, error: { code: 'forbidden', message: 'Only the Dockmirror window may do that.' } };

export function registerIpcHandlers(ipcMain: IpcMainLike, api: DockmirrorApi, isTrustedSender: (event: SenderEvent) => boolean): () => void {
  for (const method of apiMethodNames) {
    const call = apiCalls[method];
    ipcMain.handle(invokeChannel(method), async (event, ...args: unknown[]): Promise<IpcReply> => {
      if (!isTrustedSender(event)) return refused;
      try {
        const result = await call(api, args);
        return { ok: true, result: result ?? null };
      } catch (error) {
        const { code, message } = toCoreError(error);
        return { ok: false, error: { code, message } };
      }
    });
  }
  return () => {
    for (const method of apiMethodNames) ipcMain.removeHandler(invokeChannel(method));
  };
}

type Sendable = Pick<WebContents, 'send' | 'isDestroyed'>;

/** Pushes the core's events and state to the window while it exists; returns the unsubscribe. */
export function forwardToWindow(api: Pick<DockmirrorApi, 'onEvent' | 'onState'>, windowContents: () => Sendable | null): () => void {
  const send = (channel: string, payload: unknown) => {
    const contents = windowContents();
    if (contents && !contents.isDestroyed()) contents.send(channel, payload);
  };
  const stopEvents = api.onEvent((event) => send(eventChannel, event));
  const stopState = api.onState((state) => send(stateChannel, state));
  return () => {
    stopEvents();
    stopState();
  };
}
