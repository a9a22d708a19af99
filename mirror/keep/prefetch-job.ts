// The prefetch the window started, image by image and layer by layer, kept in the engine so the
// window sees it through the status it already receives (and a reopened window sees it too).
// One prefetch at a time: a second list while one runs is refused with a sentence, since two
// would only share the same rate limit.
import { formatImageName, parseImageName } from './image-name.js';
import type { PrefetchProgress, PrefetchResult } from './prefetch.js';

export interface PrefetchImageStatus {
  /** As the list named it, normalised (`docker.io/library/nginx:latest`). */
  image: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  /** Layers (and configs) the cache lacked, and how many of them are stored so far. */
  layersTotal: number;
  layersDone: number;
  bytesTotal: number;
  bytesDone: number;
  digest: string | null;
  /** Why it failed, in a sentence. */
  message: string | null;
}

export interface PrefetchStatus {
  running: boolean;
  startedAt: string;
  finishedAt: string | null;
  images: PrefetchImageStatus[];
}

export type PrefetchRun = (images: string[], onProgress: (progress: PrefetchProgress) => void) => Promise<PrefetchResult[]>;

export class PrefetchJobs {
  private last: PrefetchStatus | null = null;

  constructor(private readonly now: () => number) {}

  status(): PrefetchStatus | undefined {
    return this.last ? { ...this.last, images: this.last.images.map((image) => ({ ...image })) } : undefined;
  }

  /** Starts `run` over the images and returns at once with the queue; the run goes on in the background. */
  start(images: string[], run: PrefetchRun, onError: (error: unknown) => void): PrefetchStatus {
    if (this.last?.running) throw Object.assign(new Error('A prefetch is already running; wait for it to finish, then start the next list.'), { code: 'prefetch-running' });
    if (images.length === 0) throw Object.assign(new Error('The list names no image to prefetch.'), { code: 'bad-request' });
    const job: PrefetchStatus = { running: true, startedAt: new Date(this.now()).toISOString(), finishedAt: null, images: [] };
    this.last = job;
    const byName = new Map<string, PrefetchImageStatus>();
    const entry = (image: string): PrefetchImageStatus => {
      let found = byName.get(image);
      if (!found) {
        found = { image, state: 'queued', layersTotal: 0, layersDone: 0, bytesTotal: 0, bytesDone: 0, digest: null, message: null };
        byName.set(image, found);
        job.images.push(found);
      }
      return found;
    };
    // Every image is listed at once, as "queued", so the window shows the whole list from the start.
    for (const raw of images) {
      try {
        entry(formatImageName(parseImageName(raw)));
      } catch {
        // A name that does not parse is listed by the run with its sentence.
      }
    }
    const track = (progress: PrefetchProgress): void => {
      const image = entry(progress.image);
      switch (progress.state) {
        case 'started':
          image.state = 'running';
          return;
        case 'plan':
          Object.assign(image, { layersTotal: progress.layers, bytesTotal: progress.bytes });
          return;
        case 'bytes':
          image.bytesDone += progress.bytes;
          return;
        case 'blob':
          if (progress.done) image.layersDone++;
          return;
        case 'done':
          Object.assign(image, { state: 'done', digest: progress.digest ?? null });
          return;
        case 'failed':
          Object.assign(image, { state: 'failed', message: progress.message });
          return;
      }
    };
    void run(images, track)
      .catch(onError)
      .finally(() => {
        job.running = false;
        job.finishedAt = new Date(this.now()).toISOString();
      });
    return this.status()!;
  }
}
