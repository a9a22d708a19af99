// The one table of OCI error codes the mirror answers with, and the error class that carries
// them. Upstream failures are translated into these at the upstream boundary (upstream/client.ts),
// so handlers never see a raw network error. A code's status is the table's: an answer that
// needs another status needs its own code here.

export const errorTable = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  RANGE_INVALID: { status: 416, message: 'requested range not satisfiable' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  METHOD_UNKNOWN: { status: 405, message: 'method not allowed' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  /** The upstream answered what the mirror must not pass on or store (a bad digest, a forbidden redirect). */
  UPSTREAM_INVALID: { status: 502, message: 'the upstream registry sent an answer the mirror will not pass on' },
  NOT_FOUND: { status: 404, message: 'not found' },
  // The HTTP front's own refusals, before any registry route: Node's parser limits and Expect.
  REQUEST_TIMEOUT: { status: 408, message: 'the request took too long to arrive' },
  EXPECTATION_UNSUPPORTED: { status: 417, message: 'the expectation is not supported' },
  HEADERS_TOO_LARGE: { status: 431, message: 'request headers too large' },
  /** A bug in the mirror, never the client's fault; the details go to the log, not the wire. */
  INTERNAL: { status: 500, message: 'internal error in the mirror; see its log' },
} as const;

export type ErrorCode = keyof typeof errorTable;

export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  /** Extra response headers, e.g. Retry-After on 429. */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, options: { detail?: unknown; headers?: Record<string, string> } = {}) {
    super(message ?? errorTable[code].message);
    this.name = 'RegistryError';
    this.code = code;
    this.status = errorTable[code].status;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }

  toJSON(): { errors: { code: string; message: string; detail?: unknown }[] } {
    const entry: { code: string; message: string; detail?: unknown } = { code: this.code, message: this.message };
    if (this.detail !== undefined) entry.detail = this.detail;
    return { errors: [entry] };
  }
}

export function isRegistryError(error: unknown): error is RegistryError {
  return error instanceof RegistryError;
}
