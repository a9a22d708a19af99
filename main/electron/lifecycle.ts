// The tray app's life: closing the window hides it, Quit stops the mirror gracefully before the
// process ends, the OS shutting down or logging out is never held up, and a second launch brings
// the first instance's window back.
import type { BrowserWindow } from 'electron';

interface PreventableEvent {
  preventDefault(): void;
}

export interface QuittableApp {
  on(event: 'before-quit', listener: (event: PreventableEvent) => void): unknown;
  quit(): void;
  exit(exitCode?: number): void;
}

/**
 * Electron's powerMonitor (Linux and macOS). Its types give the 'shutdown' listener no
 * argument, but Electron passes the event its documentation tells apps to preventDefault.
 */
export interface ShutdownSource {
  on(event: 'shutdown', listener: (event?: PreventableEvent) => void): unknown;
}

export interface GracefulQuit {
  isQuitting(): boolean;
  /** The OS is shutting down or logging out: stop within its short grace, never holding it up. */
  sessionEnding(): void;
}

export interface GracefulQuitOptions {
  graceMs?: number;
  /**
   * How long an ending session may wait for the mirror. systemd-logind grants a delay lock
   * 5 s by default (InhibitDelayMaxSec), and macOS gives up on a logout after a few seconds more.
   */
  osGraceMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Holds the first quit until `shutdown` settles (pulls in flight finish or are cut cleanly),
 * then quits for real. A shutdown that hangs past `graceMs` must not leave an app that cannot
 * be quit, so then the process exits anyway.
 *
 * When the OS shuts down or logs out, the app stops within `osGraceMs` and never prevents a
 * quit: on macOS a prevented before-quit during a logout is what cancels the logout.
 */
export function installGracefulQuit(app: QuittableApp, shutdown: () => Promise<void>, options: GracefulQuitOptions = {}): GracefulQuit {
  let phase: 'running' | 'stopping' | 'done' = 'running';
  let osEnding = false;
  let deadline: NodeJS.Timeout | undefined;
  const finish = (how: 'quit' | 'exit') => {
    if (phase === 'done') return;
    phase = 'done';
    clearTimeout(deadline);
    if (how === 'quit') app.quit();
    else app.exit(1);
  };
  const stop = (graceMs: number) => {
    if (phase === 'done') return;
    clearTimeout(deadline);
    deadline = setTimeout(() => finish('exit'), graceMs);
    if (phase !== 'running') return;
    phase = 'stopping';
    shutdown()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => finish('quit'));
  };
  const endSession = () => {
    if (osEnding) return;
    osEnding = true;
    // A Quit already stopping gets the OS's shorter grace too.
    stop(options.osGraceMs ?? 4_000);
  };
  app.on('before-quit', (event) => {
    if (phase === 'done' || osEnding) return;
    event.preventDefault();
    if (phase === 'running') stop(options.graceMs ?? 60_000);
  });
  return { isQuitting: () => phase !== 'running', sessionEnding: endSession };
}

/** powerMonitor exists only once the app is ready, after installGracefulQuit has run. */
export function quitWhenOsEnds(powerMonitor: ShutdownSource, quit: GracefulQuit): void {
  powerMonitor.on('shutdown', (event) => {
    // Documented to delay the shutdown (never to cancel it) while the app quits at once.
    event?.preventDefault();
    quit.sessionEnding();
  });
}

type HideableWindow = Pick<BrowserWindow, 'on' | 'hide' | 'minimize'>;

/** Without a tray to come back from, a closed window is minimized instead: still in the dock. */
export function keepInTrayOnClose(window: HideableWindow, isQuitting: () => boolean, away: 'hide' | 'minimize' = 'hide'): void {
  window.on('close', (event) => {
    if (isQuitting()) return;
    event.preventDefault();
    if (away === 'minimize') window.minimize();
    else window.hide();
  });
}

type RevealableWindow = Pick<BrowserWindow, 'isMinimized' | 'restore' | 'show' | 'focus'>;

export function revealWindow(window: RevealableWindow): void {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
