// The keep-warm setting as the app stores it (the list, every N hours or a nightly window), its
// rules, and what the engine gets from it. Each image is checked against the OCI grammar and the
// registry list, so nothing the window sends reaches the engine (or a path in the store) unchecked.
import { checkNightlyWindow } from '../../mirror/keep/schedule.js';
import { parseImageName } from '../../mirror/keep/image-name.js';
import { parseRepository, parseTag } from '../../mirror/reference.js';
import type { KeepWarmSettings } from '../../mirror/public-types.js';
import { registryKey } from '../../mirror/store/paths.js';
import type { AppSettings, KeepWarmImage, KeepWarmSetting } from '../shared/contract.js';
import { CoreError } from './core-error.js';

/** More than a LAN keeps warm; each costs a HEAD per refresh. */
export const maxKeptImages = 200;
const platformPattern = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;
const windowSchema = { type: ['object', 'null'], properties: { start: { type: 'string' }, end: { type: 'string' } }, required: ['start', 'end'], additionalProperties: false } as const;

export const keepWarmSchema = {
  type: 'object',
  properties: {
    images: {
      type: 'array',
      items: {
        type: 'object',
        properties: { registry: { type: 'string' }, repository: { type: 'string' }, tag: { type: 'string' }, platforms: { type: ['array', 'null'], items: { type: 'string' } } },
        required: ['registry', 'repository', 'tag', 'platforms'],
        additionalProperties: false,
      },
    },
    everyHours: { type: 'integer', minimum: 1, maximum: 168 },
    nightly: windowSchema,
  },
  required: ['images', 'everyHours', 'nightly'],
  additionalProperties: false,
} as const;

function bad(message: string): never {
  throw new CoreError('invalid-setting', message);
}

function quoted(value: unknown): string {
  return JSON.stringify(String(value).slice(0, 100));
}

/** Checks every part and copies only the known fields; the first bad value is named in a sentence. */
export function checkedKeepWarm(value: unknown, registries: AppSettings['registries']): KeepWarmSetting {
  if (typeof value !== 'object' || value === null) bad('Keep warm needs a list of images and a schedule.');
  const { images, everyHours, nightly } = value as Record<string, unknown>;
  if (!Array.isArray(images)) bad('The keep-warm list must be a list of images.');
  if (images.length > maxKeptImages) bad(`Keep at most ${maxKeptImages} images warm; the list has ${images.length}.`);
  if (!Number.isInteger(everyHours) || (everyHours as number) < 1 || (everyHours as number) > 168) bad('Refresh kept images every 1 to 168 hours (a whole number).');
  let window: KeepWarmSetting['nightly'] = null;
  if (nightly !== null) {
    const { start, end } = (nightly ?? {}) as Record<string, unknown>;
    if (typeof start !== 'string' || typeof end !== 'string') bad('The nightly window needs a start and an end time, such as 02:00 and 05:00.');
    try {
      window = checkNightlyWindow({ start, end });
    } catch (error) {
      bad((error as Error).message);
    }
  }
  const seen = new Set<string>();
  const checked = images.map((entry: unknown) => {
    const { registry, repository, tag, platforms } = (entry ?? {}) as Record<string, unknown>;
    if (typeof registry !== 'string' || !registries.some((r) => r.name === registry)) bad(`${quoted(registry)} is not a registry in the registry list; add it there first.`);
    try {
      parseRepository(String(repository));
      parseTag(String(tag));
    } catch {
      bad(`${quoted(`${registry}/${String(repository)}:${String(tag)}`)} is not an image name with a tag, such as docker.io/library/nginx:1.27.`);
    }
    if (platforms !== null && (!Array.isArray(platforms) || platforms.length === 0 || platforms.length > 16 || !platforms.every((p) => typeof p === 'string' && platformPattern.test(p)))) {
      bad(`The platforms of ${registry}/${String(repository)} must be all, or a list such as linux/amd64, linux/arm64/v8.`);
    }
    const image: KeepWarmImage = { registry, repository: repository as string, tag: tag as string, platforms: platforms === null ? null : [...(platforms as string[])] };
    const key = `${registry}/${image.repository}:${image.tag}`;
    if (seen.has(key)) bad(`${key} is on the keep-warm list twice.`);
    seen.add(key);
    return image;
  });
  return { images: checked, everyHours: everyHours as number, nightly: window };
}

/** What the engine's schedule takes. */
export function engineKeepWarm(setting: KeepWarmSetting): KeepWarmSettings {
  return { images: setting.images.map((image) => ({ ...image })), everyMs: setting.everyHours * 3_600_000, nightly: setting.nightly };
}

/**
 * An image as people write it (`nginx`, `ghcr.io/acme/api:2`) or as the Cache view names it (by
 * the store's key for its registry), checked and resolved against the registry list. A digest is
 * refused: it never changes, so there is nothing to keep warm.
 */
export function keptImageFromName(name: unknown, platforms: unknown, registries: AppSettings['registries']): KeepWarmImage {
  if (typeof name !== 'string' || name.length === 0 || name.length > 512) bad('Name the image to keep warm, such as nginx:1.27 or ghcr.io/acme/api:2.');
  const [first, ...rest] = name.split('/');
  const byKey = registries.find((r) => r.name !== first && registryKey(r.name) === first);
  let parsed;
  try {
    parsed = parseImageName(byKey && rest.length > 0 ? [byKey.name, ...rest].join('/') : name);
  } catch (error) {
    bad((error as Error).message);
  }
  if (parsed.digest || !parsed.tag) bad(`${quoted(name)} names a digest, which never changes; keep a tag warm instead.`);
  const image = { registry: parsed.registry, repository: parsed.repository, tag: parsed.tag, platforms };
  return checkedKeepWarm({ images: [image], everyHours: 1, nightly: null }, registries).images[0]!;
}
