// The options electron-store gets: the core's schema and migrations, and the settings layout's
// version as projectVersion. electron-store would otherwise use the app's version, and the
// migrations, keyed by layout version, would run at the wrong time or not at all.
import { settingsMigrations, settingsSchema, settingsVersion } from '../core/settings.js';

export function electronStoreOptions(dataDir: string) {
  return {
    cwd: dataDir,
    name: 'config',
    projectVersion: settingsVersion,
    schema: settingsSchema,
    migrations: settingsMigrations,
  };
}
