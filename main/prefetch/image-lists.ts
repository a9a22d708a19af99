// The images a project needs, read from the files people already have: docker-compose.yml
// (services.*.image), Kubernetes manifests (every document; containers, initContainers and
// ephemeralContainers of pods, pod templates and CronJob templates), a Dockerfile's FROM lines,
// or a pasted list. YAML is read with a real parser (the `yaml` package): anchors, multi-document
// streams and quoting are where hand-written readers go wrong.
import { parseAllDocuments } from 'yaml';

export type ListKind = 'compose' | 'kubernetes' | 'dockerfile' | 'list';

/** Guesses the kind from the file name and content, then reads every image it names (deduplicated, in order). */
export function imagesFromText(text: string, fileName = ''): string[] {
  return unique(readByKind(guessKind(text, fileName), text, fileName));
}

export function guessKind(text: string, fileName: string): ListKind {
  const base = fileName.split(/[\\/]/).at(-1)?.toLowerCase() ?? '';
  if (base === 'dockerfile' || base.endsWith('.dockerfile') || base.startsWith('dockerfile.') || /^\s*FROM\s/im.test(text.replace(/^\s*#.*$/gm, '').trimStart().slice(0, 400))) return 'dockerfile';
  if (/\.(ya?ml)$/.test(base) || /^\s*(services|apiVersion|kind)\s*:/m.test(text)) return /^\s*services\s*:/m.test(text) && !/^\s*apiVersion\s*:/m.test(text) ? 'compose' : 'kubernetes';
  return 'list';
}

function readByKind(kind: ListKind, text: string, fileName: string): string[] {
  switch (kind) {
    case 'dockerfile':
      return fromDockerfile(text);
    case 'compose':
    case 'kubernetes':
      return fromYaml(text, fileName);
    case 'list':
      return text
        .split(/\r?\n/)
        .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
        .filter(Boolean)
        .flatMap((line) => line.split(/[\s,]+/));
  }
}

function fromYaml(text: string, fileName: string): string[] {
  const found: string[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`${fileName || 'The YAML'} cannot be read: ${document.errors[0]!.message.split('\n')[0]}`);
    collect(document.toJS({ maxAliasCount: 1000 }), found);
  }
  return found;
}

/** Compose services and any pod spec, however deep (Deployment, Job, CronJob, List items). */
function collect(node: unknown, found: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, found);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (record.services && typeof record.services === 'object') {
    for (const service of Object.values(record.services as Record<string, unknown>)) {
      const image = (service as { image?: unknown } | null)?.image;
      if (typeof image === 'string') found.push(image);
    }
  }
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = record[key];
    if (Array.isArray(list)) for (const container of list) if (typeof (container as { image?: unknown })?.image === 'string') found.push((container as { image: string }).image);
  }
  for (const [key, value] of Object.entries(record)) if (key !== 'services' && typeof value === 'object') collect(value, found);
}

/** FROM lines, without build stages named earlier (`FROM build AS final`), `scratch` or ARG-built names. */
function fromDockerfile(text: string): string[] {
  const stages = new Set<string>();
  const found: string[] = [];
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const match = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!match) continue;
    const image = match[1]!;
    if (!stages.has(image.toLowerCase()) && image !== 'scratch' && !image.includes('$')) found.push(image);
    if (match[2]) stages.add(match[2].toLowerCase());
  }
  return found;
}

function unique(images: string[]): string[] {
  return [...new Set(images.map((image) => image.trim()).filter(Boolean))];
}
