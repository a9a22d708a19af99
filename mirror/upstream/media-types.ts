// Manifest media types the mirror asks the upstream for. All of them at once, so the stored
// bytes are what the upstream holds and any client (old Docker, containerd, skopeo) can be served.
export const manifestMediaTypes = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
] as const;

export const indexMediaTypes: readonly string[] = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

export const manifestAcceptHeader = manifestMediaTypes.join(', ');

/** Media type from a Content-Type header, or from the manifest's own mediaType field. */
export function manifestMediaType(contentType: string | undefined, body?: Buffer): string {
  const fromHeader = contentType?.split(';')[0]?.trim();
  if (fromHeader && fromHeader !== 'application/json' && fromHeader !== 'text/plain') return fromHeader;
  if (body) {
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
      if (typeof parsed.mediaType === 'string') return parsed.mediaType;
      if (Array.isArray(parsed.manifests)) return 'application/vnd.oci.image.index.v1+json';
      return 'application/vnd.oci.image.manifest.v1+json';
    } catch {
      // fall through: not JSON, keep whatever the upstream said
    }
  }
  return fromHeader || 'application/octet-stream';
}
