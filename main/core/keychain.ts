// Secrets live in the OS keychain (service `dockmirror`) and nowhere else. The core sees this
// small interface; keytarKeychain() adapts keytar, whose native module talks to the Secret
// Service / Keychain / Credential Manager. Without one, `probe()` says so and nothing is saved.
export const keychainService = 'dockmirror';

export interface Keychain {
  /** Null when the keychain works; otherwise a plain sentence saying why it does not. */
  probe(): Promise<string | null>;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
  /** Every account saved under the service, without the secrets. */
  accounts(): Promise<string[]>;
}

interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

const unavailable =
  'No keychain is available on this desktop (no Secret Service is running), so Docker Hub credentials cannot be saved; the mirror keeps working anonymously.';

export function keytarKeychain(service = keychainService, load: () => Promise<KeytarModule> = loadKeytar): Keychain {
  let module: Promise<KeytarModule> | null = null;
  const keytar = () => (module ??= load());
  return {
    async probe() {
      try {
        await (await keytar()).findCredentials(service);
        return null;
      } catch {
        // The native error text ("Cannot autolaunch D-Bus…") means nothing to people.
        return unavailable;
      }
    },
    get: async (account) => (await keytar()).getPassword(service, account),
    set: async (account, secret) => (await keytar()).setPassword(service, account, secret),
    delete: async (account) => (await keytar()).deletePassword(service, account),
    accounts: async () => (await (await keytar()).findCredentials(service)).map((c) => c.account),
  };
}

async function loadKeytar(): Promise<KeytarModule> {
  const imported = (await import('keytar')) as KeytarModule & { default?: KeytarModule };
  return imported.default ?? imported;
}

export const keychainUnavailableMessage = unavailable;
