// What the app core needs from wherever the engine runs: engines to drive, word when their
// process's health changes (so the window and tray are told at once), and a way to end it.
import type { MirrorEngine, MirrorOptions } from '../../mirror/public-types.js';
import type { AppProblem } from '../shared/contract.js';

export interface EngineHost {
  createEngine(options: MirrorOptions): MirrorEngine;
  /** Called when the engine process dies or comes back; returns the unsubscribe function. */
  onHealthChange(listener: () => void): () => void;
  /** Set while the engine's process is down or could not serve again after a restart. */
  readonly problem: AppProblem | null;
  /** Stops the engine (in-flight pulls finish) and ends its process. */
  close(): Promise<void>;
}
