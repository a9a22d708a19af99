// The thin Electron adapter for the tray: turns tray-menu.ts's data into a Tray and a Menu,
// rebuilt on every state change. Nothing here decides anything.
import { join } from 'node:path';
import { Menu, nativeImage, Tray, type MenuItemConstructorOptions } from 'electron';
import type { AppState } from '../core/contract.js';
import { trayIconFile, trayMenu, trayTooltip, type TrayAction } from './tray-menu.js';

export interface TrayHandle {
  update(state: AppState): void;
  destroy(): void;
}

export function createTray(iconsDir: string, state: AppState, onAction: (action: TrayAction) => void): TrayHandle {
  const icon = (current: AppState) => nativeImage.createFromPath(join(iconsDir, trayIconFile(current, process.platform)));
  const tray = new Tray(icon(state));
  // Windows and macOS open the window on a click; Linux trays only ever show the menu.
  tray.on('click', () => onAction('open-window'));
  const update = (current: AppState) => {
    // The last pulls can still publish a state while Quit is tearing things down.
    if (tray.isDestroyed()) return;
    tray.setImage(icon(current));
    tray.setToolTip(trayTooltip(current));
    const template: MenuItemConstructorOptions[] = trayMenu(current).map((item) => ({
      type: item.type,
      label: item.label,
      enabled: item.enabled,
      ...(item.type === 'checkbox' ? { checked: item.checked ?? false } : {}),
      ...(item.action ? { click: () => onAction(item.action!) } : {}),
    }));
    tray.setContextMenu(Menu.buildFromTemplate(template));
  };
  update(state);
  return { update, destroy: () => tray.destroy() };
}
