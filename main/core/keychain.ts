// Secrets live in the OS keychain (service `dockmirror`) and nowhere else. The core sees this
// small interface; keytarKeychain() adapts keytar, whose native module talks to the Secret
// Service / Keychain / Credential Manager. When that fails, `probe()` says which of two very
// different things went wrong (keytar's native module is missing, or no Secret Service runs),
// each with its own fix, and nothing is saved.
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

export interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

const anonymously = 'so Docker Hub credentials cannot be saved; the mirror keeps working anonymously.';

/** The native error's first line: its stack and require chain mean nothing to people. */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim() || 'no reason given';
}

export function keytarMissingMessage(error: unknown): string {
  return (
    `Dockmirror's keychain module (keytar) could not be loaded (${firstLine(error)}), ${anonymously} ` +
    'Reinstalling Dockmirror fixes it; in a source checkout run "npm rebuild keytar" (on Linux it needs libsecret-1-dev and a C++ compiler).'
  );
}

export const noSecretServiceMessage =
  `No keychain is available on this desktop (no Secret Service is running), ${anonymously} ` +
  'To save them, install and start a Secret Service (gnome-keyring, or KeePassXC with its Secret Service on), log out and back in, and restart Dockmirror.';

/** libsecret's ways of saying there is no session bus, or nothing on it owns the Secret Service. */
const noSecretService = /org\.freedesktop\.secrets|D-?Bus|Could not connect|ServiceUnknown|NameHasNoOwner/i;

/** A keychain that loaded and then failed: on Linux almost always no Secret Service. */
export function keychainCallMessage(error: unknown, platform: NodeJS.Platform = process.platform): string {
  const detail = firstLine(error);
  if (platform === 'linux' && noSecretService.test(detail)) return noSecretServiceMessage;
  const store = platform === 'darwin' ? 'The macOS Keychain' : platform === 'win32' ? 'The Windows Credential Manager' : 'The keychain';
  return `${store} refused Dockmirror (${detail}), ${anonymously} Unlock or repair it, then restart Dockmirror.`;
}

export function keytarKeychain(service = keychainService, load: () => Promise<KeytarModule> = loadKeytar): Keychain {
  let module: Promise<KeytarModule> | null = null;
  const keytar = () => (module ??= load());
  return {
    async probe() {
      let loaded: KeytarModule;
      try {
        loaded = await keytar();
      } catch (error) {
        return keytarMissingMessage(error);
      }
      try {
        await loaded.findCredentials(service);
        return null;
      } catch (error) {
        return keychainCallMessage(error);
      }
    },
    get: async (account) => (await keytar()).getPassword(service, account),
    set: async (account, secret) => (await keytar()).setPassword(service, account, secret),
    delete: async (account) => (await keytar()).deletePassword(service, account),
    accounts: async () => (await (await keytar()).findCredentials(service)).map((c) => c.account),
  };
}

/** `specifier` is for the tests, which point it at a keytar whose native module was never built. */
export async function loadKeytar(specifier = 'keytar'): Promise<KeytarModule> {
  const imported = (await import(specifier)) as KeytarModule & { default?: KeytarModule };
  return imported.default ?? imported;
}
