// The thin Electron adapter for the tray: makes the three icons once, and applies what
// tray-presenter.ts decides (tray-menu.ts's data turned into a Menu). Electron's Tray, Menu and
// nativeImage come in as arguments, so the tests count what reaches a stand-in Tray.
import { join } from 'node:path';
import type { Menu, MenuItemConstructorOptions, NativeImage, nativeImage, Tray } from 'electron';
import type { AppState } from '../shared/contract.js';
import { TrayPresenter, type TrayClock } from './tray-presenter.js';
import { trayIconFileFor, trayIconState, trayIconStates, type TrayAction, type TrayIconState } from './tray-menu.js';

export interface TrayHandle {
  update(state: AppState): void;
  destroy(): void;
}

export interface TrayElectron {
  Tray: new (image: NativeImage) => Pick<Tray, 'on' | 'setImage' | 'setToolTip' | 'setContextMenu' | 'isDestroyed' | 'destroy'>;
  Menu: Pick<typeof Menu, 'buildFromTemplate'>;
  nativeImage: Pick<typeof nativeImage, 'createFromPath'>;
}

export interface TrayOptions {
  iconsDir: string;
  platform: NodeJS.Platform;
  onAction: (action: TrayAction) => void;
  clock?: TrayClock;
  menuIntervalMs?: number;
}

export function createTray(electron: TrayElectron, state: AppState, options: TrayOptions): TrayHandle {
  const icons = new Map<TrayIconState, NativeImage>(
    trayIconStates.map((iconState) => [iconState, electron.nativeImage.createFromPath(join(options.iconsDir, trayIconFileFor(iconState, options.platform)))]),
  );
  const initialIcon = trayIconState(state);
  const tray = new electron.Tray(icons.get(initialIcon)!);
  // Windows and macOS open the window on a click; Linux trays only ever show the menu.
  tray.on('click', () => options.onAction('open-window'));
  const presenter = new TrayPresenter(
    {
      setIcon: (iconState) => tray.setImage(icons.get(iconState)!),
      setToolTip: (text) => tray.setToolTip(text),
      setMenu: (items) => {
        const template: MenuItemConstructorOptions[] = items.map((item) => ({
          type: item.type,
          label: item.label,
          enabled: item.enabled,
          ...(item.type === 'checkbox' ? { checked: item.checked ?? false } : {}),
          ...(item.action ? { click: () => options.onAction(item.action!) } : {}),
        }));
        tray.setContextMenu(electron.Menu.buildFromTemplate(template));
      },
    },
    { clock: options.clock, menuIntervalMs: options.menuIntervalMs, icon: initialIcon },
  );
  const update = (current: AppState) => {
    // The last pulls can still publish a state while Quit is tearing things down.
    if (!tray.isDestroyed()) presenter.show(current);
  };
  update(state);
  return {
    update,
    destroy: () => {
      presenter.stop();
      tray.destroy();
    },
  };
}
