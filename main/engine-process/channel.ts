// The parent's end of the engine process, whichever host started it. Each host has one thin
// adapter to this shape: node-channel.ts (child_process.fork, headless and every test) and
// electron-channel.ts (utilityProcess.fork, the desktop app).
import { fileURLToPath } from 'node:url';
import type { ParentMessage } from './protocol.js';

export interface ChannelExit {
  code: number | null;
  /** The signal that ended the process, where the host reports one. */
  signal: string | null;
}

export interface EngineChannel {
  readonly pid: number | undefined;
  postMessage(message: ParentMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, when the process has ended for whatever reason. */
  onExit(listener: (exit: ChannelExit) => void): void;
  /** Ends the process now (SIGKILL where the host allows choosing). */
  kill(): void;
}

/** Starts one engine process with the given V8/Node flags. */
export type ChannelOpener = (entry: string, execArgv: readonly string[]) => EngineChannel;

/** The compiled child entry, beside this file in dist/. */
export const engineEntry: string = fileURLToPath(new URL('./engine-child.js', import.meta.url));
