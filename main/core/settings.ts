// The app's settings: defaults, the JSON schema the store enforces on disk, migrations from
// older layouts, and validation of a change from the window. Plain Node on purpose — the
// Electron adapter hands the same schema and migrations to electron-store, the headless host
// and the tests to `conf` (the library electron-store wraps), so both read the same file format.
import Conf from 'conf';
import { isAbsolute, join } from 'node:path';
import { isIP } from 'node:net';
import { parseCidr } from '../../mirror/cidr.js';
import { defaultAllowlist } from '../../mirror/lan-addresses.js';
import { builtInRegistryNames, isRegistryName, resolveRegistries } from '../../mirror/registries/registry-list.js';
import type { AppProblem, AppSettings, LogLevel } from '../shared/contract.js';
import { CoreError } from './core-error.js';
import { checkedKeepWarm, keepWarmSchema } from './keep-warm-setting.js';

/** The subset of conf / electron-store the core uses, so tests can inject either. */
export interface SettingsStore {
  readonly store: Record<string, unknown>;
  set(values: Record<string, unknown>): void;
}

/** What a conf migration receives: get/set/delete on the raw store. */
export interface MigrationStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  has(key: string): boolean;
}

export const settingsVersion = '0.2.0';

const logLevels: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export function defaultSettings(dataDir: string): AppSettings {
  return {
    cachePath: join(dataDir, 'cache'),
    maxSizeBytes: null,
    minFreeBytes: 1_000_000_000,
    listenHost: '0.0.0.0',
    port: 5000,
    upstream: 'https://registry-1.docker.io',
    registries: builtInRegistryNames.map((name) => ({ name, upstream: null, enabled: true })),
    tagTtlSeconds: 60,
    allowlist: defaultAllowlist(),
    clientAuth: { enabled: false, username: '' },
    startMirrorOnLaunch: true,
    launchAtLogin: false,
    logLevel: 'info',
    keepWarm: { images: [], everyHours: 6, nightly: null },
    expireAfterDays: null,
  };
}

/** conf's `schema` option: one JSON schema per key. */
export const settingsSchema = {
  cachePath: { type: 'string', minLength: 1 },
  maxSizeBytes: { type: ['integer', 'null'], minimum: 0 },
  minFreeBytes: { type: 'integer', minimum: 0 },
  listenHost: { type: 'string', minLength: 1 },
  port: { type: 'integer', minimum: 1, maximum: 65535 },
  upstream: { type: 'string', pattern: '^https?://' },
  registries: {
    type: 'array',
    items: {
      type: 'object',
      properties: { name: { type: 'string' }, upstream: { type: ['string', 'null'] }, enabled: { type: 'boolean' } },
      required: ['name', 'upstream', 'enabled'],
      additionalProperties: false,
    },
  },
  tagTtlSeconds: { type: 'integer', minimum: 0 },
  allowlist: { type: 'array', items: { type: 'string' } },
  clientAuth: {
    type: 'object',
    properties: { enabled: { type: 'boolean' }, username: { type: 'string' } },
    required: ['enabled', 'username'],
    additionalProperties: false,
  },
  startMirrorOnLaunch: { type: 'boolean' },
  launchAtLogin: { type: 'boolean' },
  logLevel: { type: 'string', enum: [...logLevels] },
  keepWarm: keepWarmSchema,
  expireAfterDays: { type: ['integer', 'null'], minimum: 1 },
} as const;

/**
 * Keyed by the app version that introduced the layout (conf runs each once, in order).
 * 0.1.0 stored `listen: "host:port"`, `tagTtlMs` and `maxSizeGb`; 0.2.0 splits and renames them.
 */
export const settingsMigrations: Record<string, (store: MigrationStore) => void> = {
  '0.2.0': (store) => {
    const listen = store.get('listen');
    if (typeof listen === 'string') {
      const match = /^(.*):(\d+)$/.exec(listen);
      if (match) {
        store.set('listenHost', match[1]!.replace(/^\[|\]$/g, '') || '0.0.0.0');
        store.set('port', Number(match[2]));
      }
      store.delete('listen');
    }
    const ttlMs = store.get('tagTtlMs');
    if (typeof ttlMs === 'number') {
      store.set('tagTtlSeconds', Math.round(ttlMs / 1000));
      store.delete('tagTtlMs');
    }
    const gb = store.get('maxSizeGb');
    if (store.has('maxSizeGb')) {
      store.set('maxSizeBytes', typeof gb === 'number' && gb > 0 ? Math.round(gb * 1e9) : null);
      store.delete('maxSizeGb');
    }
  },
};

/**
 * What conf (headless) and electron-store (desktop) both get, so both read one file format:
 * migrations are keyed by the settings layout's version, not the app's.
 */
export function settingsStoreOptions(dataDir: string) {
  return { cwd: dataDir, projectVersion: settingsVersion, schema: settingsSchema, migrations: settingsMigrations };
}

/** An allowlist entry the current CIDR rules refuse, with the sentence saying why. */
export interface RefusedEntry {
  entry: string;
  reason: string;
}

export function refusedAllowlistEntries(allowlist: readonly unknown[]): RefusedEntry[] {
  const refused: RefusedEntry[] = [];
  for (const entry of allowlist) {
    try {
      parseCidr(entry as string);
    } catch (error) {
      refused.push({ entry: String(entry), reason: (error as Error).message });
    }
  }
  return refused;
}

/** The problem the window shows while the stored allowlist holds an entry the rules refuse; null when it holds none. */
export function refusedAllowlistProblem(allowlist: readonly string[], dataDir: string): AppProblem | null {
  const [first, ...more] = refusedAllowlistEntries(allowlist);
  if (!first) return null;
  const others = more.length > 0 ? ` (and ${more.map((r) => `"${r.entry}"`).join(', ')})` : '';
  return {
    code: 'settings-invalid',
    message: `The allowlist in the settings file in ${dataDir} holds "${first.entry}"${others}, which this version refuses: ${first.reason} Older versions read it differently, so the mirror stays stopped until you correct it in Settings → "Allowed networks" and save.`,
    since: new Date(0).toISOString(),
  };
}

/** The entries an engine can be built from while some are refused (it does not serve then). */
export function usableAllowlist(allowlist: readonly string[]): string[] {
  const refused = new Set(refusedAllowlistEntries(allowlist).map((r) => r.entry));
  const usable = allowlist.filter((entry) => !refused.has(entry));
  return usable.length > 0 ? usable : ['127.0.0.1/32'];
}

/**
 * Reads the stored settings over the defaults, so a key added later reads as its default. An
 * allowlist entry an older version accepted but the stricter rules refuse (such as "fd00::/",
 * once read as ::/0) is kept as stored: the app opens, and the core keeps the mirror stopped and
 * names the entry until the list is corrected, so nothing stored is rewritten behind the owner.
 */
export function readSettings(store: SettingsStore, dataDir: string): AppSettings {
  const defaults = defaultSettings(dataDir);
  const raw = store.store;
  const merged: Record<string, unknown> = { ...defaults };
  for (const key of Object.keys(defaults)) if (raw[key] !== undefined) merged[key] = raw[key];
  const stored = merged as unknown as AppSettings;
  const refused = Array.isArray(stored.allowlist) && stored.allowlist.every((entry) => typeof entry === 'string') ? refusedAllowlistEntries(stored.allowlist) : [];
  try {
    if (refused.length === 0) return validateSettings(stored, defaults);
    return { ...validateSettings({ ...stored, allowlist: usableAllowlist(stored.allowlist) }, defaults), allowlist: [...stored.allowlist] };
  } catch (error) {
    // Stricter rules can refuse what an older version stored (an allowlist entry like "fd00::/").
    throw new CoreError('settings-unreadable', `The settings file in ${dataDir} holds a value Dockmirror refuses: ${(error as Error).message} Fix or remove it.`);
  }
}

function bad(message: string): never {
  throw new CoreError('invalid-setting', message);
}

/** Applies a patch over `current`, rejecting the first invalid value with a plain sentence. */
export function validateSettings(patch: Partial<AppSettings>, current: AppSettings): AppSettings {
  const next: AppSettings = { ...current, ...patch };
  if (typeof next.cachePath !== 'string' || !isAbsolute(next.cachePath)) bad('The cache folder must be a full path.');
  if (next.maxSizeBytes !== null && (!Number.isSafeInteger(next.maxSizeBytes) || next.maxSizeBytes < 0)) {
    bad('The size cap must be a whole number of bytes, or no cap.');
  }
  if (!Number.isSafeInteger(next.minFreeBytes) || next.minFreeBytes < 0) bad('The free-space floor must be a whole number of bytes, 0 or more.');
  if (typeof next.listenHost !== 'string' || (next.listenHost !== 'localhost' && isIP(next.listenHost) === 0)) {
    bad('The listen address must be an IP address such as 0.0.0.0.');
  }
  if (!Number.isInteger(next.port) || next.port < 1 || next.port > 65535) bad('The port must be a number from 1 to 65535.');
  let upstream: URL | null = null;
  try {
    upstream = typeof next.upstream === 'string' ? new URL(next.upstream) : null;
  } catch {
    upstream = null;
  }
  if (!upstream || (upstream.protocol !== 'https:' && upstream.protocol !== 'http:') || upstream.username || upstream.password) {
    bad('The upstream must be an http or https address without a user name.');
  }
  const registries = validRegistries(next.registries, next.upstream);
  if (!Number.isInteger(next.tagTtlSeconds) || next.tagTtlSeconds < 0 || next.tagTtlSeconds > 7 * 24 * 3600) {
    bad('The tag refresh time must be between 0 seconds and 7 days.');
  }
  if (!Array.isArray(next.allowlist) || next.allowlist.length === 0) bad('The allowlist needs at least one network.');
  for (const entry of next.allowlist) {
    try {
      parseCidr(entry);
    } catch (error) {
      bad((error as Error).message);
    }
  }
  const auth = next.clientAuth as unknown;
  if (
    typeof auth !== 'object' || auth === null ||
    typeof (auth as { enabled?: unknown }).enabled !== 'boolean' ||
    typeof (auth as { username?: unknown }).username !== 'string'
  ) {
    bad('Client sign-in needs an on/off switch and a user name.');
  }
  if (next.clientAuth.enabled && !/^[^:\s]{1,64}$/.test(next.clientAuth.username)) {
    bad('The client user name must be 1 to 64 characters without spaces or colons.');
  }
  if (typeof next.startMirrorOnLaunch !== 'boolean') bad('"Start mirror on launch" must be on or off.');
  if (typeof next.launchAtLogin !== 'boolean') bad('"Launch at login" must be on or off.');
  if (!logLevels.includes(next.logLevel)) bad(`The log level must be one of ${logLevels.join(', ')}.`);
  const keepWarm = checkedKeepWarm(next.keepWarm, registries);
  if (next.expireAfterDays !== null && (!Number.isInteger(next.expireAfterDays) || next.expireAfterDays < 1 || next.expireAfterDays > 3650)) {
    bad('Expiry must be a whole number of days from 1 to 3650, or off.');
  }
  return {
    ...next,
    keepWarm,
    allowlist: [...next.allowlist],
    registries,
    clientAuth: { enabled: next.clientAuth.enabled, username: next.clientAuth.username },
  };
}

/** The registry list, each entry checked, names unique; copies only the known fields. */
function validRegistries(value: unknown, dockerHubUpstream: string): AppSettings['registries'] {
  if (!Array.isArray(value)) bad('The registry list must be a list.');
  const seen = new Set<string>();
  const registries = value.map((entry: unknown) => {
    const { name, upstream, enabled } = (entry ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || !isRegistryName(name)) bad(`"${String(name).slice(0, 100)}" is not a registry name: use a host name such as ghcr.io, optionally with :port.`);
    if (seen.has(name)) bad(`The registry ${name} is listed twice.`);
    seen.add(name);
    if (upstream !== null && typeof upstream !== 'string') bad(`The upstream of ${name} must be an address, or empty for https://${name}.`);
    if (name === 'docker.io' && upstream !== null) bad("docker.io's upstream is the Upstream setting; leave it empty in the registry list.");
    if (typeof enabled !== 'boolean') bad(`${name} must be turned on or off.`);
    return { name, upstream: upstream as string | null, enabled };
  });
  try {
    resolveRegistries({ upstream: dockerHubUpstream, registries: registries.map((r) => ({ name: r.name, upstream: r.upstream ?? undefined, enabled: r.enabled })) });
  } catch (error) {
    bad((error as Error).message);
  }
  return registries;
}

/** The settings file in the data folder, as the headless app and the tests open it (Electron uses electron-store). */
export function openSettingsStore(dataDir: string): SettingsStore {
  try {
    const { schema, ...options } = settingsStoreOptions(dataDir);
    return new Conf<Record<string, unknown>>({ ...options, configName: 'config', schema: schema as never });
  } catch (error) {
    throw new CoreError('settings-unreadable', `The settings file in ${dataDir} cannot be read (${(error as Error).message}); fix or remove it.`);
  }
}
