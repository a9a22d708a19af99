// A minimum-progress rule for long bodies (blobs of gigabytes have no sensible overall deadline):
// every window must bring at least so many bytes, or the body is given up and the download
// resumes or fails. Only windows in which the reader kept the body flowing are judged: time the
// reader held it paused (a full disk queue, a slow client) is not the upstream's fault.
// Bytes are counted on the socket, since a 'data' listener would start the body flowing before
// its reader is attached.
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

export interface MinimumProgress {
  windowMs: number;
  bytes: number;
}

export function watchProgress(body: Readable, socket: Socket, rule: MinimumProgress, onTooSlow: () => void): void {
  let windowStart = socket.bytesRead;
  let heldInWindow = body.readableFlowing !== true;
  const onPause = (): void => {
    heldInWindow = true;
  };
  const timer = setInterval(() => {
    const received = socket.bytesRead - windowStart;
    if (!heldInWindow && body.readableFlowing === true && received < rule.bytes && !body.readableEnded) {
      stop();
      onTooSlow();
      return;
    }
    windowStart = socket.bytesRead;
    heldInWindow = body.readableFlowing !== true;
  }, rule.windowMs);
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    body.off('pause', onPause);
  };
  body.on('pause', onPause);
  body.once('close', stop);
  body.once('end', stop);
}
