// The live shape of a pull (re-exported by public-types.ts): JSON-safe, no secret.
/**
 * A pull while it runs: sent from its first manifest request, then a few times a second while
 * its blobs are sent, and replaced by the PullEvent with the same `id` when it finishes.
 */
export interface PullProgressEvent {
  type: 'pull-progress';
  /** The id the finished pull's PullEvent will carry. */
  id: string;
  /** ISO-8601 time of the first request of the pull. */
  time: string;
  client: string;
  /** The client's hostname when its host reported it (joined by the app, not the engine). */
  hostname?: string;
  registry?: string;
  repository: string;
  reference: string;
  /** Layers sent in full, out of the layers the image's manifest lists (0 until it is known). */
  layersDone: number;
  layersTotal: number;
  /** Layer bytes sent so far (blobs still being sent included), out of the manifest's layer sizes. */
  bytesDone: number;
  bytesTotal: number;
  /** Of bytesDone, how much the cache answered. */
  bytesFromCache: number;
  /** Recent send rate. */
  bytesPerSecond: number;
  elapsedMs: number;
  /** A request of the pull already failed. */
  failed: boolean;
}
