// The core's one error type: a stable code for programs and a plain sentence for people. It
// crosses IPC and HTTP as `{ code, message }`. The codes the app raises itself are this table,
// so a window can rely on them and a new one is a deliberate addition here.

/** Every code the app raises, with when (test/app/core-error-codes.test.ts holds main/ to it). */
export const coreErrorCodes = {
  busy: 'a cache folder change is already running',
  'cache-move-failed': 'a cache folder change failed and was undone',
  'client-password-missing': 'client sign-in was turned on with no client password saved',
  'copy-mismatch': 'a copied cache file did not read back as written',
  failed: 'anything unforeseen; its sentence comes from where it happened',
  'invalid-credentials': 'a Docker Hub user name or token that cannot be right',
  'invalid-password': 'a client password of the wrong length',
  'invalid-path': 'a folder the cache cannot live in',
  'invalid-setting': 'a settings value the rules refuse',
  'keychain-unavailable': 'no keychain to keep a secret in',
  'not-kept': '"refresh now" with no image on the keep-warm list',
  'bad-prefetch-list': 'a prefetch list that cannot be read or names no image',
  'not-open': 'the core was used before its host opened it',
  'open-failed': 'the file manager could not open a folder',
  'settings-unreadable': 'the settings file cannot be read at all',
  'start-failed': 'the mirror could not start',
  unsupported: 'the host cannot do this (a browser window cannot open folders)',
} as const;

export type CoreErrorCode = keyof typeof coreErrorCodes;

export class CoreError extends Error {
  readonly code: string;
  constructor(code: CoreErrorCode, message: string);
  /** An error of the engine or its process, whose code is theirs and is passed on as it is. */
  constructor(code: string, message: string, origin: 'passed-on');
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'CoreError';
  }
}

/** Any failure as a CoreError: engine errors already carry a sentence; their stack stays behind. */
export function toCoreError(error: unknown): CoreError {
  if (error instanceof CoreError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error && error.message ? error.message : 'Something went wrong; the log has the details.';
  return typeof code === 'string' ? new CoreError(code, message, 'passed-on') : new CoreError('failed', message);
}
