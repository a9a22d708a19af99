// `dockmirror serve --keep-warm FILE [--refresh-every DURATION]`: reads the list and checks, before
// the mirror starts, that every image is on a registry it serves, so a typo is one sentence at
// start and not a failed refresh hours later.
import { readFile } from 'node:fs/promises';
import type { KeepWarmSettings } from '../public-types.js';
import { parseKeepList } from './keep-list.js';

export async function readKeepWarmFile(path: string, everyMs: number, servedRegistries: readonly string[]): Promise<KeepWarmSettings> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`The keep-warm list ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  const images = parseKeepList(text, path);
  const unserved = images.find((image) => !servedRegistries.includes(image.registry));
  if (unserved) {
    throw new Error(`${path}: ${unserved.registry}/${unserved.repository}:${unserved.tag} is on ${unserved.registry}, which this mirror does not serve; add it with --registry ${unserved.registry}=URL.`);
  }
  if (everyMs < 60_000) throw new Error('--refresh-every must be at least 1m: each refresh asks the upstream about every kept image.');
  return { images, everyMs };
}
