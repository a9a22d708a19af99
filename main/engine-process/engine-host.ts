// What the app core needs from wherever the engine runs: engines to drive, word when their
// process's health changes (so the window and tray are told at once), and a way to end it.
import type { MirrorEngine, MirrorOptions } from '../../mirror/public-types.js';

export interface EngineHost {
  createEngine(options: MirrorOptions): MirrorEngine;
  /** Called when the engine process dies or comes back; returns the unsubscribe function. */
  onHealthChange(listener: () => void): () => void;
  /** Stops the engine (in-flight pulls finish) and ends its process. */
  close(): Promise<void>;
}
