// The child's end of the engine process: Electron's `process.parentPort` in a utility process,
// Node's IPC channel (`process.send`) under child_process.fork. The entry file speaks to this
// one shape and runs the same under both hosts.
import type { ChildMessage } from './protocol.js';

interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
}

export interface ParentLink {
  send(message: ChildMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** The app went away (Node IPC only: a utility process is ended with its parent). */
  onDisconnect(listener: () => void): void;
  /** Lets the process exit once what was sent has been handed over. */
  close(): void;
}

export function parentLink(): ParentLink {
  const port = (process as { parentPort?: ParentPortLike }).parentPort;
  if (port) {
    return {
      send: (message) => port.postMessage(message),
      onMessage: (listener) => void port.on('message', (event) => listener(event.data)),
      onDisconnect: () => undefined,
      close: () => setImmediate(() => process.exit(0)),
    };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('The engine process needs a parent: start it with utilityProcess.fork or child_process.fork.');
  return {
    send: (message) => {
      if (process.connected) send(message, undefined, {}, (error) => void error);
    },
    onMessage: (listener) => void process.on('message', listener),
    onDisconnect: (listener) => void process.once('disconnect', listener),
    close: () => {
      if (process.connected) process.disconnect();
    },
  };
}
