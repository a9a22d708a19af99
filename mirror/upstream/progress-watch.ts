// A minimum-progress rule for long bodies (blobs of gigabytes have no sensible overall deadline):
// every window must bring at least so many bytes, or the body is given up and the download
// resumes or fails. A window is judged only if the body's reader never held the upstream back
// in it: time spent paused (a full disk queue, a slow client) is not the upstream's fault.
//
// A reader holds the body back in one of two ways, and both are seen: a flowing reader ('data')
// pauses it, and a reader in paused mode (an async iterator, 'readable') stops reading, so the
// body's buffer fills to its high-water mark. Watching only the first left every paused-mode
// reader without the rule: a drip through one was never caught. The buffer is looked at a few
// times per window, so a reader that drains it in bursts may still get its window judged, which
// costs nothing: a drained buffer means the upstream was being asked for bytes.
//
// Bytes are counted on the socket, since a 'data' listener would start the body flowing before
// its reader is attached.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

export interface MinimumProgress {
  windowMs: number;
  bytes: number;
}

const looksPerWindow = 4;

/**
 * `complete`: whether the whole body has arrived. A body that has, and waits for its reader, is
 * never too slow, however little of it is buffered.
 */
export function watchProgress(body: Readable, socket: Socket, rule: MinimumProgress, complete: () => boolean, onTooSlow: () => void): void {
  let windowStart = socket.bytesRead;
  let heldInWindow = heldBack(body);
  let looks = 0;
  const onPause = (): void => {
    heldInWindow = true;
  };
  const timer = setInterval(() => {
    if (heldBack(body)) heldInWindow = true;
    if (++looks < looksPerWindow) return;
    looks = 0;
    const received = socket.bytesRead - windowStart;
    if (!heldInWindow && received < rule.bytes && !complete() && !body.readableEnded) {
      stop();
      onTooSlow();
      return;
    }
    windowStart = socket.bytesRead;
    heldInWindow = heldBack(body);
  }, rule.windowMs / looksPerWindow);
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    body.off('pause', onPause);
  };
  body.on('pause', onPause);
  body.once('close', stop);
  body.once('end', stop);
}

/** Whether the reader holds the body back now: a 'data' reader that paused it, or a full buffer. */
function heldBack(body: Readable): boolean {
  // An async iterator leaves readableFlowing false too, while it reads; only 'data' readers pause.
  const pausedFlowingReader = body.readableFlowing === false && body.listenerCount('data') > 0;
  return pausedFlowingReader || body.readableLength >= body.readableHighWaterMark;
}
