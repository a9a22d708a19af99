// The keep-warm list file: one image a line (`registry/name:tag`), `# comments` and blank lines
// ignored, an optional `--platform linux/amd64,linux/arm64` after the name. A bad line stops the
// start with a sentence naming the file and the line, rather than keeping less than was asked.
import { RegistryError } from '../errors.js';
import { parseImageName } from './image-name.js';

import type { KeepWarmImage } from '../public-types.js';

export type KeepEntry = KeepWarmImage;

const platformPattern = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;

export function parseKeepList(text: string, source: string): KeepEntry[] {
  const entries: KeepEntry[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    const where = `${source}, line ${index + 1}`;
    const words = line.split(/\s+/);
    let platforms: string[] | null = null;
    const name = words.shift()!;
    while (words.length > 0) {
      const word = words.shift()!;
      const value = word.startsWith('--platform=') ? word.slice('--platform='.length) : word === '--platform' ? words.shift() : undefined;
      if (value === undefined) throw new Error(`${where}: "${word.slice(0, 100)}" is not understood; a line is an image name and an optional --platform list.`);
      platforms = value.split(',').map((p) => p.trim()).filter(Boolean);
      const bad = platforms.find((p) => !platformPattern.test(p));
      if (bad !== undefined || platforms.length === 0) throw new Error(`${where}: "${(bad ?? value).slice(0, 100)}" is not a platform; write os/arch, e.g. linux/amd64.`);
    }
    let image;
    try {
      image = parseImageName(name);
    } catch (error) {
      throw new Error(`${where}: ${error instanceof RegistryError ? error.message : String(error)}`);
    }
    if (image.digest) throw new Error(`${where}: ${name.slice(0, 200)} names a digest, which never changes; keep-warm refreshes tags.`);
    const key = `${image.registry}/${image.repository}:${image.tag}`;
    if (seen.has(key)) return;
    seen.add(key);
    entries.push({ registry: image.registry, repository: image.repository, tag: image.tag!, platforms });
  });
  return entries;
}
