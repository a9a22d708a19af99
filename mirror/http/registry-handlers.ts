// The registry API answers, one method per route: each turns a validated route into a Reply.
import type { IncomingHttpHeaders } from 'node:http';
import type { BlobService } from '../blobs/blob-service.js';
import { RegistryError } from '../errors.js';
import type { ManifestService } from '../manifests/manifest-service.js';
import type { RecordStore } from '../store/records.js';
import type { UpstreamClient } from '../upstream/client.js';
import { jsonReply, type Reply } from './reply.js';
import type { Route } from './route.js';

export interface RegistryHandlerDeps {
  registry: string;
  manifests: ManifestService;
  blobs: BlobService;
  records: RecordStore;
  upstream: UpstreamClient;
}

const maxPageSize = 10_000;
const catalogChecksAtOnce = 8;

export class RegistryHandlers {
  constructor(private readonly deps: RegistryHandlerDeps) {}

  base(): Reply {
    return jsonReply(200, {});
  }

  async manifest(method: 'GET' | 'HEAD', route: Extract<Route, { kind: 'manifest' }>): Promise<Reply> {
    const answer = await this.deps.manifests.get(method, route.repository, route.reference);
    const headers: Record<string, string | number> = {
      'content-type': answer.mediaType,
      'content-length': answer.body?.length ?? answer.size,
      'docker-content-digest': answer.digest,
      etag: `"${answer.digest}"`,
    };
    return { status: 200, headers, body: answer.body, cache: answer.cache, upstreamMs: answer.upstreamMs };
  }

  async blob(method: 'GET' | 'HEAD', route: Extract<Route, { kind: 'blob' }>, requestHeaders: IncomingHttpHeaders): Promise<Reply> {
    const blob = await this.deps.blobs.open({ repository: route.repository, digest: route.digest, method, range: requestHeaders.range });
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'docker-content-digest': route.digest,
      etag: `"${route.digest}"`,
      'cache-control': 'max-age=31536000',
    };
    if (blob.acceptsRanges) headers['accept-ranges'] = 'bytes';
    if (blob.range) {
      headers['content-length'] = blob.range.end - blob.range.start + 1;
      headers['content-range'] = `bytes ${blob.range.start}-${blob.range.end}/${blob.size}`;
    } else if (blob.size !== null) headers['content-length'] = blob.size;
    const status = blob.range ? 206 : 200;
    return { status, headers, body: blob.reader, cache: blob.cache, upstreamMs: blob.upstreamMs, cleanup: blob.release };
  }

  async tags(route: Extract<Route, { kind: 'tags' }>, query: URLSearchParams): Promise<Reply> {
    const pageSize = parsePageSize(query);
    const upstreamQuery = new URLSearchParams();
    if (pageSize !== null) upstreamQuery.set('n', String(pageSize));
    const last = query.get('last');
    if (last) upstreamQuery.set('last', last);
    const queryText = upstreamQuery.size ? `?${upstreamQuery}` : '';
    const started = Date.now();
    try {
      const { body, link } = await this.deps.upstream.tagsList(route.repository, queryText);
      const headers: Record<string, string | number> = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };
      if (link) headers.link = link;
      return { status: 200, headers, body, cache: 'miss', upstreamMs: Date.now() - started };
    } catch (error) {
      if (!(error instanceof RegistryError) || (error.code !== 'UNAVAILABLE' && error.code !== 'TOOMANYREQUESTS')) throw error;
      // The upstream is out of reach: list the tags this cache knows, which is better than nothing.
      const known = (await this.deps.records.listTags(this.deps.registry, route.repository)).map((t) => t.tag);
      if (known.length === 0) throw error;
      const page = paginate(known, last, pageSize);
      return { ...jsonReply(200, { name: route.repository, tags: page }), cache: 'stale' };
    }
  }

  /**
   * The cached repositories this client may pull (`mayPull`, the same policy as pulls), so the
   * catalog never names the owner's private repositories to a client that may not pull them.
   */
  async catalog(query: URLSearchParams, mayPull: (repository: string) => Promise<boolean>): Promise<Reply> {
    const pageSize = parsePageSize(query);
    const repositories = (await this.deps.records.listRepositories())
      .filter((r) => r.registry === this.deps.registry)
      .map((r) => r.repository);
    const visible: string[] = [];
    // A few at a time: each answer may need one anonymous upstream request (then remembered).
    for (let i = 0; i < repositories.length; i += catalogChecksAtOnce) {
      const batch = repositories.slice(i, i + catalogChecksAtOnce);
      const allowed = await Promise.all(batch.map((repository) => mayPull(repository)));
      visible.push(...batch.filter((_, index) => allowed[index]));
    }
    return jsonReply(200, { repositories: paginate(visible, query.get('last'), pageSize) });
  }
}

function parsePageSize(query: URLSearchParams): number | null {
  const n = query.get('n');
  if (n === null) return null;
  if (!/^\d{1,6}$/.test(n) || Number(n) > maxPageSize) {
    throw new RegistryError('PAGINATION_NUMBER_INVALID', `invalid page size n=${n.slice(0, 20)}: use a number from 0 to ${maxPageSize}`);
  }
  return Number(n);
}

function paginate(sorted: string[], last: string | null, pageSize: number | null): string[] {
  const after = last ? sorted.filter((item) => item > last) : sorted;
  return pageSize === null ? after : after.slice(0, pageSize);
}
