// The tray app's life: closing the window hides it, Quit stops the mirror gracefully before the
// process ends, and a second launch brings the first instance's window back.
import type { BrowserWindow } from 'electron';

interface PreventableEvent {
  preventDefault(): void;
}

export interface QuittableApp {
  on(event: 'before-quit', listener: (event: PreventableEvent) => void): unknown;
  quit(): void;
  exit(exitCode?: number): void;
}

export interface GracefulQuit {
  isQuitting(): boolean;
}

/**
 * Holds the first quit until `shutdown` settles (pulls in flight finish or are cut cleanly),
 * then quits for real. A shutdown that hangs past `graceMs` must not leave an app that cannot
 * be quit, so then the process exits anyway.
 */
export function installGracefulQuit(app: QuittableApp, shutdown: () => Promise<void>, options: { graceMs?: number; onError?: (error: unknown) => void } = {}): GracefulQuit {
  let phase: 'running' | 'stopping' | 'done' = 'running';
  app.on('before-quit', (event) => {
    if (phase === 'done') return;
    event.preventDefault();
    if (phase === 'stopping') return;
    phase = 'stopping';
    const deadline = setTimeout(() => {
      phase = 'done';
      app.exit(1);
    }, options.graceMs ?? 60_000);
    shutdown()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        clearTimeout(deadline);
        if (phase === 'done') return;
        phase = 'done';
        app.quit();
      });
  });
  return { isQuitting: () => phase !== 'running' };
}

type HideableWindow = Pick<BrowserWindow, 'on' | 'hide'>;

export function keepInTrayOnClose(window: HideableWindow, isQuitting: () => boolean): void {
  window.on('close', (event) => {
    if (isQuitting()) return;
    event.preventDefault();
    window.hide();
  });
}

type RevealableWindow = Pick<BrowserWindow, 'isMinimized' | 'restore' | 'show' | 'focus'>;

export function revealWindow(window: RevealableWindow): void {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
