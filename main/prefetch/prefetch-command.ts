// `dockmirror prefetch --mirror URL [--from FILE]… [IMAGE…]`: asks the mirror running on this
// machine to pull images into its cache, and prints its progress per image and per layer. It
// never opens the store itself: the running mirror owns it.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { imagesFromText } from './image-lists.js';

interface ProgressLine {
  progress?: { image: string; state: string; digest?: string; size?: number | null; done?: boolean; message?: string; blobsFetched?: number };
  results?: { image: string; ok: boolean; message?: string }[];
  error?: string;
}

export async function prefetchCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { mirror: { type: 'string' }, from: { type: 'string', multiple: true } }, allowPositionals: true, strict: true });
  if (!values.mirror) throw new Error('--mirror URL is required: the address of the mirror running on this machine, e.g. http://127.0.0.1:5000.');
  const base = mirrorUrl(values.mirror);
  const images = [...positionals];
  for (const file of values.from ?? []) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new Error(`${file} cannot be read (${error.code ?? 'error'}).`);
    });
    images.push(...imagesFromText(text, file));
  }
  if (images.length === 0) throw new Error('Name at least one image, or a file with --from (a docker-compose.yml, Kubernetes YAML, a Dockerfile or a list).');
  let response: Response;
  try {
    response = await fetch(new URL('/_dockmirror/prefetch', base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ images: [...new Set(images)] }) });
  } catch (error) {
    throw new Error(`No mirror answers at ${base.origin} (${(error as Error).message}).`);
  }
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => null)) as { errors?: { message?: string }[] } | null;
    throw new Error(`The mirror refused the prefetch: ${body?.errors?.[0]?.message ?? response.statusText}.`);
  }
  let failed = 0;
  let pending = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    pending += decoder.decode(chunk as Uint8Array, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines.filter(Boolean)) failed += report(JSON.parse(line) as ProgressLine, out);
  }
  return failed > 0 ? 1 : 0;
}

function report(line: ProgressLine, out: NodeJS.WritableStream): number {
  const p = line.progress;
  if (p?.state === 'started') out.write(`${p.image}: fetching\n`);
  else if (p?.state === 'blob') out.write(`  ${p.digest!.slice(7, 19)} ${p.done ? 'stored' : 'downloading'}${p.size ? ` (${p.size} bytes)` : ''}\n`);
  else if (p?.state === 'done') out.write(`${p.image}: cached (${p.blobsFetched ?? 0} blob(s) fetched)\n`);
  else if (p?.state === 'failed') out.write(`${p.image}: not cached: ${p.message}\n`);
  if (line.error) {
    out.write(`The prefetch stopped: ${line.error}\n`);
    return 1;
  }
  return line.results?.filter((r) => !r.ok).length ?? 0;
}

function mirrorUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(/^https?:\/\//.test(text) ? text : `http://${text}`);
  } catch {
    throw new Error(`"${text}" is not a mirror address; write it like http://127.0.0.1:5000.`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!(host === 'localhost' || host === '::1' || /^127\./.test(host))) {
    throw new Error(`--mirror must be the mirror on this machine (127.0.0.1, ::1 or localhost): it accepts prefetch requests from this machine only.`);
  }
  return url;
}
