// The stand-in's blob CDN (production.cloudflare.docker.com): signed, expiring URLs, and like S3
// no Authorization header beside them.
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HubRegistry } from './hub-registry.js';
import { bump, sameSecret } from './hub-http.js';
import { NAME } from './hub-types.js';

export abstract class HubCdn extends HubRegistry {
  protected signature(repository: string, digest: string, date: string, expires: string): string {
    return createHmac('sha256', this.secret).update(`cdn\n${repository}\n${digest}\n${date}\n${expires}`).digest('hex');
  }

  /** A signed, expiring CDN URL for one blob, shaped like Docker Hub's object-store links. */
  override signedBlobUrl(repository: string, digest: string): string {
    const hex = digest.slice('sha256:'.length);
    const date = String(Math.floor(this.options.now() / 1000));
    const expires = '1200';
    const query = new URLSearchParams({
      'X-Dockmirror-Repository': repository,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Date': date,
      'X-Amz-Expires': expires,
      'X-Amz-Signature': this.signature(repository, digest, date, expires),
    });
    return `${this.cdnUrl}/registry-v2/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data?${query.toString()}`;
  }

  protected async handleCdn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const s3Error = (status: number, code: string, message: string): void => {
      const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(body.length) });
      res.end(body);
    };
    const url = new URL(req.url ?? '/', this.cdnUrl);
    const match = /^\/registry-v2\/docker\/registry\/v2\/blobs\/sha256\/([a-f0-9]{2})\/([a-f0-9]{64})\/data$/.exec(url.pathname);
    if (!match?.[2] || (req.method !== 'GET' && req.method !== 'HEAD')) {
      s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      return;
    }
    if (req.headers.authorization !== undefined) {
      s3Error(
        400,
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      );
      return;
    }
    const digest = `sha256:${match[2]}`;
    const repository = url.searchParams.get('X-Dockmirror-Repository') ?? '';
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const expires = url.searchParams.get('X-Amz-Expires') ?? '';
    const given = url.searchParams.get('X-Amz-Signature') ?? '';
    if (!NAME.test(repository) || !sameSecret(given, this.signature(repository, digest, date, expires))) {
      s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
      return;
    }
    if ((Number(date) + Number(expires)) * 1000 < this.options.now()) {
      s3Error(403, 'AccessDenied', 'Request has expired');
      return;
    }
    if (req.method === 'HEAD') {
      const upstream = await this.backend('HEAD', `/v2/${repository}/blobs/${digest}`, {});
      await this.relay(upstream, res, 'HEAD', undefined, () => undefined);
      return;
    }
    bump(this.statsData.cdnGets, digest);
    await this.sendBlob(req, res, repository, digest, this.options.blobStorageRoot);
  }

}
