// Serving manifests. By digest: from the store once cached (content never changes). By tag:
// from the store within the tag TTL; after it, revalidated with a HEAD (which Docker Hub does
// not count as a pull) and fetched with a GET only when the digest changed. Concurrent
// requests for one tag share one upstream request. When the upstream is down or rate-limited,
// what is cached is served stale.
import { createHash } from 'node:crypto';
import { RegistryError } from '../errors.js';
import { badUpstream } from '../upstream/failures.js';
import type { CacheResult } from '../public-types.js';
import { LocalManifests, type StoredManifest } from './local-manifests.js';
import { SingleFlight } from './single-flight.js';
import type { BlobStore } from '../store/blob-store.js';
import type { RecordStore, TagRecord } from '../store/records.js';
import type { UpstreamClient, UpstreamManifest } from '../upstream/client.js';

export interface ManifestAnswer {
  digest: string;
  mediaType: string;
  size: number;
  /** The exact stored bytes; absent for HEAD. */
  body?: Buffer;
  cache: CacheResult;
  upstreamMs: number;
}

export interface ManifestServiceOptions {
  registry: string;
  store: BlobStore;
  records: RecordStore;
  upstream: UpstreamClient;
  tagTtlMs: number;
  now: () => number;
  /** A manifest GET went upstream: what Docker Hub counts as a pull. */
  onUpstreamPull?: () => void;
  onStale?: (repository: string, reference: string, reason: string) => void;
  /** A record or manifest could not be written; the answer is still served, just not cached. */
  onWriteError?: (error: unknown) => void;
}

/** Errors after which cached content is served stale rather than failing the client. */
const staleable: ReadonlySet<string> = new Set(['UNAVAILABLE', 'TOOMANYREQUESTS']);

export class ManifestService {
  private readonly flights = new SingleFlight<ManifestAnswer>();
  private readonly local: LocalManifests;

  constructor(private readonly options: ManifestServiceOptions) {
    this.local = new LocalManifests(options.registry, options.store, options.records);
  }

  async get(method: 'GET' | 'HEAD', repository: string, reference: { kind: 'tag' | 'digest'; value: string }): Promise<ManifestAnswer> {
    const answer =
      reference.kind === 'digest' ? await this.byDigest(method, repository, reference.value) : await this.byTag(method, repository, reference.value);
    // containerd (and so Docker and kubelet) resolves a tag with a HEAD, then GETs the manifest by
    // digest: the tag request of either method is where a pull names its image.
    if (reference.kind === 'tag') this.notePulled(repository, reference.value);
    return answer;
  }

  private async byDigest(method: 'GET' | 'HEAD', repository: string, digest: string): Promise<ManifestAnswer> {
    const { store, records, registry } = this.options;
    const stored = await this.local.read(digest, method);
    if (stored) {
      if (await records.hasLink(registry, repository, digest)) return { ...stored, cache: 'hit', upstreamMs: 0 };
      // Cached for another repository: confirm with a HEAD that this one has it too.
      const { value } = await this.flights.run(`confirm ${repository}@${digest}`, async () => {
        const started = Date.now();
        const remote = await this.options.upstream.manifest('HEAD', repository, digest);
        if (remote.digest !== digest) throw new RegistryError('MANIFEST_UNKNOWN', `manifest unknown: ${repository}@${digest}`);
        await this.persist(() => records.addLink(registry, repository, digest));
        return { ...stored, cache: 'revalidated' as const, upstreamMs: Date.now() - started };
      });
      return { ...value, body: stored.body };
    }
    const { value, shared } = await this.flights.run(`fetch ${repository}@${digest}`, () => this.fetchAndStore(repository, digest, digest));
    store.touch(digest);
    return withMethod({ ...value, cache: shared ? 'coalesced' : 'miss' }, method);
  }

  private async byTag(method: 'GET' | 'HEAD', repository: string, tag: string): Promise<ManifestAnswer> {
    const { records, registry, now, tagTtlMs } = this.options;
    const record = await records.readTag(registry, repository, tag);
    if (record && now() - record.checkedAt < tagTtlMs) {
      const stored = await this.answerFromRecord(record, method);
      if (stored) return { ...stored, cache: 'hit', upstreamMs: 0 };
    }
    try {
      const { value, shared } = await this.flights.run(`tag ${method} ${repository}:${tag}`, () => this.refreshTag(method, repository, tag, record));
      return withMethod(shared ? { ...value, cache: 'coalesced' } : value, method);
    } catch (error) {
      if (record && error instanceof RegistryError && staleable.has(error.code)) {
        const stored = await this.answerFromRecord(record, method);
        if (stored) {
          this.options.onStale?.(repository, tag, error.message);
          return { ...stored, cache: 'stale', upstreamMs: 0 };
        }
      }
      throw error;
    }
  }

  /** Asks the upstream about a tag: HEAD when something is cached (free), GET otherwise. */
  private async refreshTag(method: 'GET' | 'HEAD', repository: string, tag: string, record: TagRecord | null): Promise<ManifestAnswer> {
    const { records, registry, now, upstream } = this.options;
    const started = Date.now();
    if (record || method === 'HEAD') {
      const head = await upstream.manifest('HEAD', repository, tag);
      const upstreamMs = Date.now() - started;
      const unchanged = record?.digest === head.digest;
      // Read again: a pull noted while the upstream was asked must not be overwritten.
      const lastPulled = (await records.readTag(registry, repository, tag))?.lastPulled ?? record?.lastPulled ?? null;
      await this.persist(() => records.writeTag(registry, repository, tag, {
        digest: head.digest,
        mediaType: unchanged ? record!.mediaType : head.mediaType,
        size: unchanged ? record!.size : head.size,
        checkedAt: now(),
        lastPulled,
      }));
      if (method === 'HEAD') {
        const stored = await this.local.read(head.digest, 'HEAD');
        return { ...(stored ?? { digest: head.digest, mediaType: head.mediaType, size: head.size }), cache: unchanged ? 'revalidated' : 'miss', upstreamMs };
      }
      const stored = await this.local.read(head.digest, 'GET');
      if (stored) {
        await this.persist(() => records.addLink(registry, repository, head.digest));
        return { ...stored, cache: unchanged ? 'revalidated' : 'miss', upstreamMs };
      }
      const fetched = await this.fetchAndStore(repository, head.digest, head.digest);
      return { ...fetched, cache: 'miss', upstreamMs: Date.now() - started };
    }
    const fetched = await this.fetchAndStore(repository, tag, undefined);
    await this.persist(() => records.writeTag(registry, repository, tag, {
      digest: fetched.digest,
      mediaType: fetched.mediaType,
      size: fetched.size,
      checkedAt: now(),
      lastPulled: null,
    }));
    return { ...fetched, cache: 'miss', upstreamMs: Date.now() - started };
  }

  /** GETs a manifest (a counted pull), verifies its digest and stores it with its media type. */
  private async fetchAndStore(repository: string, reference: string, expectedDigest: string | undefined): Promise<ManifestAnswer> {
    const { upstream } = this.options;
    const started = Date.now();
    let remote: UpstreamManifest;
    try {
      remote = await upstream.manifest('GET', repository, reference);
    } finally {
      this.options.onUpstreamPull?.();
    }
    const body = remote.body!;
    const actual = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const claimed = expectedDigest ?? (remote.digest || actual);
    if (actual !== claimed) {
      throw badUpstream(`the upstream sent a manifest for ${repository}:${reference} whose digest ${actual} does not match ${claimed}; nothing was stored`);
    }
    await this.persist(() => this.local.write(repository, actual, remote.mediaType, body));
    this.local.remember(actual, body);
    return { digest: actual, mediaType: remote.mediaType, size: body.length, body, cache: 'miss', upstreamMs: Date.now() - started };
  }

  private async answerFromRecord(record: TagRecord, method: 'GET' | 'HEAD'): Promise<StoredManifest | null> {
    const stored = await this.local.read(record.digest, method);
    if (stored) return stored;
    // A HEAD needs only what the tag record knows; the manifest body may not be cached yet.
    return method === 'HEAD' ? { digest: record.digest, mediaType: record.mediaType, size: record.size } : null;
  }

  /** Runs a cache write; a failing disk must not fail the client, who gets the answer regardless. */
  private async persist(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.options.onWriteError?.(error);
    }
  }

  /** Drops cached bodies after the store deleted manifests (eviction, delete, clear). */
  forget(digest?: string): void {
    this.local.forget(digest);
  }

  /** Persists "last pulled" at most once a minute per tag: it is shown to people, not used to decide. */
  private notePulled(repository: string, tag: string): void {
    const { records, registry, now } = this.options;
    void records
      .readTag(registry, repository, tag)
      .then((record) => {
        if (!record || (record.lastPulled !== null && now() - record.lastPulled < 60_000)) return;
        return records.writeTag(registry, repository, tag, { ...record, lastPulled: now() });
      })
      .catch(() => {});
  }
}

function withMethod(answer: ManifestAnswer, method: 'GET' | 'HEAD'): ManifestAnswer {
  return method === 'HEAD' ? { ...answer, body: undefined } : answer;
}
