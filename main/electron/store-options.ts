// The options electron-store gets: the core's shared store options (schema, migrations, the
// settings layout's version as projectVersion) under electron-store's name for the file.
import { settingsStoreOptions } from '../core/settings.js';

export function electronStoreOptions(dataDir: string) {
  return { ...settingsStoreOptions(dataDir), name: 'config' };
}
