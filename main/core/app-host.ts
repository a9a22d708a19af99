// What a host (the Electron main process, the headless fallback, tests) gives the app core and
// gets back. The core never imports Electron: each desktop capability it needs arrives here as
// a plain function, so the same core runs under Electron, in plain Node and in the tests.
import type { EngineHost } from '../engine-process/engine-host.js';
import type { AppNotice, AppState, DockmirrorApi } from '../shared/contract.js';
import type { FirstRunDefaults } from './first-run.js';
import type { Keychain } from './keychain.js';
import type { SettingsStore } from './settings.js';

export interface DesktopCapabilities {
  /** Native folder picker; absent in the headless host, where the page browses folders itself. */
  pickFolder?: () => Promise<string | null>;
  /** Opens a folder in the system's file manager. */
  openPath?: (path: string) => Promise<void>;
  /** Registers or removes the app as a login item. */
  setLaunchAtLogin?: (enabled: boolean) => void;
}

export interface AppCoreOptions {
  /** The app's own data folder (settings live beside it; logs under `logs/`; default cache under `cache/`). */
  dataDir: string;
  /** electron-store under Electron, conf in plain Node; created from the data folder when absent. */
  settingsStore?: SettingsStore;
  keychain: Keychain;
  desktop?: DesktopCapabilities;
  /** How many recent events a newly opened window gets. */
  eventBufferSize?: number;
  /** Where the mirror engine runs (its own process in the app); in this process when absent. The core closes it at shutdown. */
  engines?: EngineHost;
  /** The desktop hosts' machine-dependent defaults (first-run.ts); without them the cache stays in the data folder. */
  firstRun?: FirstRunDefaults;
  /** What the host has to tell the window (a desktop without a tray). */
  notices?: AppNotice[];
}

export interface AppCore extends DockmirrorApi {
  /** Reads the settings, opens the log and asks the keychain; call once before anything else. */
  open(): Promise<void>;
  /** Starts the mirror when the settings say so; resolves once the state is known. */
  ready(): Promise<AppState>;
  /** The snapshot of the last published state, for synchronous readers like the tray. */
  currentState(): AppState;
  /** Quit: the listener closes, in-flight pulls finish or are cut cleanly, the log is flushed. */
  shutdown(): Promise<void>;
}
