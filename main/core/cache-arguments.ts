// The grammar of the cache controls' window arguments (keep warm, refresh now, prefetch), checked
// where a call enters the core, beside api-arguments.ts: an image name by the OCI grammar, a
// platform list, a pasted list of bounded size, and a file name that only helps tell a compose
// file from a Dockerfile and never becomes a path.
import { parseImageName } from '../../mirror/keep/image-name.js';
import { BadRequest } from './api-arguments.js';

/** Far more than any compose file or image list; a bigger paste is a mistake, not a list. */
export const maxPrefetchTextLength = 1_000_000;
const platformPattern = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;

function shown(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** An image as people write it (`nginx:1.27`, `ghcr.io/acme/api:2`), by the OCI name grammar. */
export function imageName(value: unknown): string {
  if (typeof value !== 'string') throw new BadRequest('The image name must be text.');
  if (value.length > 512) throw new BadRequest('The image name is longer than any image name can be.');
  try {
    parseImageName(value);
  } catch {
    throw new BadRequest(`${shown(value)} is not an image name: write it like nginx:1.27 or ghcr.io/acme/api:2 (lowercase letters, digits and separators).`);
  }
  return value;
}

/** All platforms (null or absent), or a short list of `os/arch[/variant]`. */
export function platformList(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > 16) throw new BadRequest('Choose all platforms, or list 1 to 16 of them such as linux/amd64.');
  for (const platform of value) {
    if (typeof platform !== 'string' || !platformPattern.test(platform)) throw new BadRequest(`${shown(String(platform))} is not a platform: write os/arch, such as linux/amd64 or linux/arm64/v8.`);
  }
  return [...(value as string[])];
}

export function prefetchText(value: unknown): string {
  if (typeof value !== 'string') throw new BadRequest('The prefetch list must be text.');
  if (value.trim() === '') throw new BadRequest('Paste one image a line, or load a docker-compose.yml, Kubernetes YAML or Dockerfile.');
  if (value.length > maxPrefetchTextLength) throw new BadRequest(`The prefetch list is over ${maxPrefetchTextLength / 1_000_000} MB; split it.`);
  return value;
}

/** The loaded file's own name (`docker-compose.yml`), never a folder: it only tells which kind of list it is. */
export function listFileName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255 || /[\u0000-\u001f/\\]/.test(value) || value === '.' || value === '..') {
    throw new BadRequest('The file name must be a plain name such as docker-compose.yml, without folders.');
  }
  return value;
}
