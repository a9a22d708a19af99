// What the upstream sends as a manifest is checked here, before anyone may store or serve it:
// it must be JSON of a known manifest media type, say so in its Content-Type, and hash to the
// digest the upstream claims (Docker-Content-Digest) and to the digest in the URL when fetched
// by digest. A redirect to some JSON endpoint, an HTML error page or a swapped body is refused
// with 502, so it can never become a tag's cached manifest.
import { createHash } from 'node:crypto';
import { badUpstream } from './failures.js';
import { indexMediaTypes, manifestMediaTypes } from './media-types.js';

const known: ReadonlySet<string> = new Set(manifestMediaTypes);
const digestPattern = /^sha256:[a-f0-9]{64}$/;

export interface ManifestClaims {
  repository: string;
  reference: string;
  contentType: string | undefined;
  /** Docker-Content-Digest, when the upstream sent one. */
  headerDigest: string | undefined;
}

export function isDigestReference(reference: string): boolean {
  return reference.includes(':');
}

/** The media type a Content-Type header names, when it is a manifest's; else a 502. */
export function checkedMediaType(claims: ManifestClaims): string {
  const mediaType = claims.contentType?.split(';')[0]?.trim().toLowerCase();
  if (!mediaType || !known.has(mediaType)) {
    throw badUpstream(
      `the upstream answered ${claims.repository}:${claims.reference} with ${mediaType ? `Content-Type ${mediaType.slice(0, 100)}` : 'no Content-Type'}, which is not a manifest; nothing was stored`,
    );
  }
  return mediaType;
}

/** The digest an upstream HEAD claims, checked for form and against a digest reference. */
export function checkedHeadDigest(claims: ManifestClaims): string {
  const digest = claims.headerDigest?.trim();
  if (!digest || !digestPattern.test(digest)) {
    throw badUpstream(`the upstream answered a manifest HEAD for ${claims.repository}:${claims.reference} without a valid digest`);
  }
  if (isDigestReference(claims.reference) && digest !== claims.reference) {
    throw badUpstream(`the upstream named digest ${digest} for ${claims.repository}@${claims.reference}`);
  }
  return digest;
}

/** Checks a fetched manifest; returns its digest and media type. */
export function checkManifest(body: Buffer, claims: ManifestClaims): { digest: string; mediaType: string } {
  const mediaType = checkedMediaType(claims);
  const where = `${claims.repository}${isDigestReference(claims.reference) ? '@' : ':'}${claims.reference}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badUpstream(`the upstream sent a manifest for ${where} that is not JSON; nothing was stored`);
  }
  if (!isManifestShape(parsed, mediaType)) {
    throw badUpstream(`the upstream sent a body for ${where} that is not a ${mediaType} manifest; nothing was stored`);
  }
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  for (const [claimed, source] of [
    [claims.headerDigest?.trim() || undefined, 'Docker-Content-Digest'],
    [isDigestReference(claims.reference) ? claims.reference : undefined, 'the requested digest'],
  ] as const) {
    // The store keeps sha256 only, so a claim in another algorithm is refused like a wrong one.
    if (claimed !== undefined && claimed !== digest) {
      throw badUpstream(`the upstream sent a manifest for ${where} whose digest ${digest} does not match ${source} ${claimed.slice(0, 80)}; nothing was stored`);
    }
  }
  return { digest, mediaType };
}

/** The fields every manifest of that media type has; a body without them is not one. */
function isManifestShape(value: unknown, mediaType: string): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const manifest = value as Record<string, unknown>;
  if (typeof manifest.mediaType === 'string' && manifest.mediaType !== mediaType) return false;
  if (mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')) return typeof manifest.name === 'string' && Array.isArray(manifest.fsLayers);
  if (typeof manifest.schemaVersion !== 'number') return false;
  if (indexMediaTypes.includes(mediaType)) return Array.isArray(manifest.manifests);
  return typeof manifest.config === 'object' && manifest.config !== null && Array.isArray(manifest.layers);
}
