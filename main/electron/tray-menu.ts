// What the tray shows, as plain data computed from the app state: the Electron adapter
// (tray.ts) only turns it into a Menu, so every label, state and checkbox is tested in Node.
import { formatBytes, pullsSaved } from '../shared/format.js';
import { daemonJsonSnippet } from '../shared/snippets.js';
import type { AppState, HostAddress } from '../shared/contract.js';

export type TrayAction =
  | 'start-mirror'
  | 'stop-mirror'
  | 'open-window'
  | 'copy-daemon-json'
  | 'copy-mirror-address'
  | 'open-cache-folder'
  | 'refresh-kept-images'
  | 'toggle-launch-at-login'
  | 'quit';

export interface TrayMenuItem {
  type: 'normal' | 'separator' | 'checkbox';
  label: string;
  enabled: boolean;
  checked?: boolean;
  action?: TrayAction;
}

export type TrayIconState = 'serving' | 'stopped' | 'error';

/** Problems that mean the mirror wanted to serve and cannot. */
const failures: ReadonlySet<string> = new Set(['start-failed', 'port-in-use', 'engine-crashed']);

export function trayIconState(state: AppState): TrayIconState {
  if (state.mirror.serving) return 'serving';
  return state.problems.some((problem) => failures.has(problem.code)) ? 'error' : 'stopped';
}

/** The address LAN hosts are told to use: the first IPv4 one, as most daemons are set up. */
export function primaryAddress(state: AppState): HostAddress | undefined {
  return state.addresses.find((address) => address.family === 'IPv4') ?? state.addresses[0];
}

function hostPort(address: HostAddress): string {
  return address.mirrorUrl.replace(/^https?:\/\//, '');
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function trayStatusLine(state: AppState): string {
  const cached = `${formatBytes(state.mirror.cache.bytes)} cached`;
  const iconState = trayIconState(state);
  if (iconState === 'error') return `Not serving: ${state.problems.find((p) => failures.has(p.code))!.message}`;
  if (iconState === 'stopped') return `Stopped · ${cached}`;
  const address = primaryAddress(state);
  const where = address ? hostPort(address) : `port ${state.mirror.listen?.port ?? state.settings.port}`;
  return `Serving ${where} · ${cached} · ${plural(pullsSaved(state.mirror.counters), 'pull', 'pulls')} saved`;
}

/** Longer messages are for the window; a menu item this wide is still readable. */
const problemLabelLength = 90;

/**
 * Problems that do not stop the mirror (a failed cache move, an unreachable upstream) still
 * need to be seen without opening the window: one disabled line each, under the status line.
 */
export function trayProblemLines(state: AppState): string[] {
  const shownInStatus = trayIconState(state) === 'error';
  return state.problems
    .filter((problem) => !(shownInStatus && failures.has(problem.code)))
    .map((problem) => (problem.message.length > problemLabelLength ? `⚠ ${problem.message.slice(0, problemLabelLength - 1)}…` : `⚠ ${problem.message}`));
}

/** One line counting the LAN hosts set up or pulling (refused ones apart, since they need a fix); null with none. */
export function trayHostsLine(state: AppState): string | null {
  const hosts = state.connectedHosts ?? [];
  if (hosts.length === 0) return null;
  const refused = hosts.filter((host) => host.refused).length;
  const connected = plural(hosts.length - refused, 'host connected', 'hosts connected');
  return refused ? `${connected} · ${refused} refused by the allowlist` : connected;
}

export function trayTooltip(state: AppState): string {
  const lines = ['Dockmirror'];
  const address = primaryAddress(state);
  if (state.mirror.serving && address) lines.push(`Mirror at ${address.mirrorUrl}`);
  else lines.push(trayIconState(state) === 'error' ? 'Mirror not serving: see the menu' : 'Mirror stopped');
  const limit = state.mirror.rateLimit;
  lines.push(limit ? `Docker Hub pulls left: ${limit.remaining} of ${limit.limit}` : 'Docker Hub pulls left: not known yet');
  return lines.join('\n');
}

/** The daemon.json body for the primary address, or null when the machine has none. */
export function trayDaemonJson(state: AppState): string | null {
  const address = primaryAddress(state);
  return address ? daemonJsonSnippet([address.mirrorUrl]) : null;
}

export function trayMenu(state: AppState): TrayMenuItem[] {
  const serving = state.mirror.serving;
  const hasAddress = primaryAddress(state) !== undefined;
  const separator: TrayMenuItem = { type: 'separator', label: '', enabled: true };
  return [
    { type: 'normal', label: trayStatusLine(state), enabled: false },
    ...trayProblemLines(state).map((label): TrayMenuItem => ({ type: 'normal', label, enabled: false })),
    ...[trayHostsLine(state)].flatMap((label): TrayMenuItem[] => (label ? [{ type: 'normal', label, enabled: false }] : [])),
    separator,
    serving
      ? { type: 'normal', label: 'Stop mirror', enabled: true, action: 'stop-mirror' }
      : { type: 'normal', label: 'Start mirror', enabled: true, action: 'start-mirror' },
    { type: 'normal', label: 'Open Dockmirror', enabled: true, action: 'open-window' },
    separator,
    // Enabled while stopped too: hosts can be set up before the mirror starts.
    { type: 'normal', label: 'Copy daemon.json snippet', enabled: hasAddress, action: 'copy-daemon-json' },
    { type: 'normal', label: 'Copy mirror address', enabled: hasAddress, action: 'copy-mirror-address' },
    { type: 'normal', label: 'Open cache folder', enabled: true, action: 'open-cache-folder' },
    // Shown greyed out with no image kept, so the entry is found before it is needed.
    { type: 'normal', label: 'Refresh kept images now', enabled: state.settings.keepWarm.images.length > 0, action: 'refresh-kept-images' },
    separator,
    { type: 'checkbox', label: 'Launch at login', enabled: true, checked: state.settings.launchAtLogin, action: 'toggle-launch-at-login' },
    separator,
    { type: 'normal', label: 'Quit', enabled: true, action: 'quit' },
  ];
}

/**
 * The icon file in build/icons/tray for a state; Electron picks the @2x sibling on HiDPI screens.
 * macOS wants a black template image it tints itself; Linux panels draw tray icons larger.
 */
export function trayIconFile(state: AppState, platform: NodeJS.Platform): string {
  return trayIconFileFor(trayIconState(state), platform);
}

export const trayIconStates: readonly TrayIconState[] = ['serving', 'stopped', 'error'];

export function trayIconFileFor(iconState: TrayIconState, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return `${iconState}Template.png`;
  // One .ico holds every size, so Windows picks the one that fits the tray's DPI.
  if (platform === 'win32') return `${iconState}.ico`;
  return `${iconState}-${platform === 'linux' ? 32 : 16}.png`;
}
