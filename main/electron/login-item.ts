// "Launch at login". Electron registers login items on macOS and Windows only; on Linux the
// desktop's way is an XDG autostart entry, written here. Either way the app starts hidden in
// the tray, not with its window in the person's face.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App } from 'electron';

export const hiddenFlag = '--hidden';

export interface LoginItemHost {
  platform: NodeJS.Platform;
  app: Pick<App, 'setLoginItemSettings'>;
  /** The command that starts the app: the AppImage or executable, plus the app folder in a checkout. */
  command: string[];
  env: NodeJS.ProcessEnv;
  home: string;
}

/** Quoting per the Desktop Entry spec's Exec key. */
export function desktopExecArg(arg: string): string {
  if (!/[\s"'\\`$<>|&;*?#()~]/.test(arg)) return arg;
  return `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function autostartFile(env: NodeJS.ProcessEnv, home: string): string {
  return join(env['XDG_CONFIG_HOME'] || join(home, '.config'), 'autostart', 'dockmirror.desktop');
}

export function autostartEntry(command: string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Dockmirror',
    'Comment=Docker Hub mirror for the LAN',
    `Exec=${[...command, hiddenFlag].map(desktopExecArg).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function launchAtLoginSetter(host: LoginItemHost): (enabled: boolean) => void {
  if (host.platform !== 'linux') {
    return (enabled) => host.app.setLoginItemSettings({ openAtLogin: enabled, args: [hiddenFlag] });
  }
  const file = autostartFile(host.env, host.home);
  return (enabled) => {
    if (!enabled) return rmSync(file, { force: true });
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, autostartEntry(host.command));
  };
}
