// Stores for `dockmirror serve --ui`, whose settings come from its command line and whose
// Docker Hub credentials come from the environment: held in memory for the life of the process,
// so the command line stays the truth and no secret is written anywhere.
import type { Keychain } from './keychain.js';
import type { SettingsStore } from './settings.js';

export function memorySettingsStore(initial: Record<string, unknown>): SettingsStore {
  const store: Record<string, unknown> = { ...initial };
  return {
    get store() {
      return store;
    },
    set(values) {
      Object.assign(store, values);
    },
  };
}

export function sessionKeychain(initial: Record<string, string> = {}): Keychain {
  const secrets = new Map(Object.entries(initial));
  return {
    probe: async () => null,
    get: async (account) => secrets.get(account) ?? null,
    set: async (account, secret) => void secrets.set(account, secret),
    delete: async (account) => secrets.delete(account),
    accounts: async () => [...secrets.keys()],
  };
}
