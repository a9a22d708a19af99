// Stand-ins for the few Electron objects the IPC code touches. Electron cannot run on these
// machines (no binary, no display), so these are the one place the tests mock it; they follow
// Electron's documented behaviour (one handler per channel, structured-cloned arguments).
import { EventEmitter } from 'node:events';
import type { IpcMainInvokeEvent } from 'electron';
import type { IpcMainLike } from '../../main/electron/ipc.js';

type Handler = (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown;

export interface FakeSender {
  id: number;
  frameUrl: string | null;
  /** True for a frame inside the page rather than its top frame. */
  subframe?: boolean;
}

export function invokeEvent(sender: FakeSender): IpcMainInvokeEvent {
  const senderFrame = sender.frameUrl === null ? null : { url: sender.frameUrl, parent: sender.subframe ? {} : null };
  return { sender: { id: sender.id }, senderFrame } as unknown as IpcMainInvokeEvent;
}

export class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Handler>();

  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  async invoke(sender: FakeSender, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return structuredClone(await handler(invokeEvent(sender), ...structuredClone(args)));
  }
}

/** A window's webContents as forwardToWindow sees it: records what main pushes. */
export class FakeWebContents {
  readonly sent: Array<[string, unknown]> = [];
  destroyed = false;
  readonly renderer = new EventEmitter();

  constructor(readonly id: number) {}

  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
    this.renderer.emit(channel, { sender: 'ipc-renderer-event' }, structuredClone(payload));
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }
}
