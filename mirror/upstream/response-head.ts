// The head of an HTTP/1.x response, parsed for the raw blob reader (raw-get.ts), which reads
// blob bodies without node:http and so without its parser. What is accepted is deliberately
// narrower than what node:http (llhttp) accepts: a head this parser is unsure of is refused, not
// guessed at, because a mis-framed body would be hashed, stored and served. Chunked bodies and
// protocol switches come back as 'unsupported', for node:http to fetch again: registries and CDNs
// send blobs with a Content-Length, so a second chunked decoder would be rarely used code.
import type { IncomingHttpHeaders } from 'node:http';

/** Node's own default (--max-http-header-size), here for interim heads and the answer together. */
export const maxHeadBytes = 16 * 1024;
const maxHeaderLines = 100;

export interface ResponseHead {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** Bytes of the body: a number, or 'until-close' for a body that ends with the connection. */
  bodyLength: number | 'until-close';
  /** Where the body starts in the buffer given to `parseResponseHead`. */
  headLength: number;
  /** HTTP/1.1 without `Connection: close`: the connection may carry another request. */
  keepAlive: boolean;
}

export type HeadResult = { kind: 'incomplete' } | { kind: 'head'; head: ResponseHead } | { kind: 'unsupported'; reason: string };

export const malformedHeadCode = 'UPSTREAM_MALFORMED_HEAD';

export class MalformedHead extends Error {
  readonly code = malformedHeadCode;
}

// RFC 9110 token characters, for header names.
export const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Field values: visible characters, spaces, tabs and obs-text; no CR, LF or NUL.
export const fieldValue = /^[\t\x20-\x7e\x80-\xff]*$/;
const statusLine = /^HTTP\/1\.([01]) ([1-9][0-9]{2})(?: [\t\x20-\x7e\x80-\xff]*)?$/;

// Fields node:http keeps only the first of, so both readers give callers the same view.
const firstWins = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
]);

/**
 * Parses the response head at the start of `data`, the answer to a GET. Interim 1xx heads
 * (103 Early Hints) are passed over; `headLength` then counts them too.
 */
export function parseResponseHead(data: Buffer): HeadResult {
  let start = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', start, 'latin1');
    // Interim heads count too: an endless run of small 103s must not grow the buffer for ever.
    if ((end < 0 ? data.length : end) > maxHeadBytes) throw new MalformedHead(`the response head is larger than ${maxHeadBytes} bytes`);
    if (end < 0) return { kind: 'incomplete' };
    const parsed = parseOne(data.toString('latin1', start, end));
    start = end + 4;
    if (parsed.statusCode === 101) return { kind: 'unsupported', reason: 'the upstream switched protocols' };
    if (parsed.statusCode >= 200) return framed(parsed, start);
  }
}

interface ParsedHead {
  statusCode: number;
  headers: IncomingHttpHeaders;
  minorVersion: number;
}

function parseOne(text: string): ParsedHead {
  const lines = text.split('\r\n');
  const status = statusLine.exec(lines[0]!);
  if (!status) throw new MalformedHead(`the response does not start with an HTTP/1.x status line`);
  if (lines.length - 1 > maxHeaderLines) throw new MalformedHead(`the response has more than ${maxHeaderLines} header lines`);
  const headers: IncomingHttpHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    // No colon, a name with spaces, or a folded continuation line (obsolete, and a smuggling vector).
    if (colon <= 0 || !token.test(line.slice(0, colon))) throw new MalformedHead('the response has a malformed header line');
    const value = line.slice(colon + 1).replace(/^[\t ]+|[\t ]+$/g, '');
    if (!fieldValue.test(value)) throw new MalformedHead('the response has a header value with control characters');
    addField(headers, line.slice(0, colon).toLowerCase(), value);
  }
  return { statusCode: Number(status[2]), headers, minorVersion: Number(status[1]) };
}

function addField(headers: IncomingHttpHeaders, name: string, value: string): void {
  const fields = headers as Record<string, string | string[] | undefined>;
  const existing = fields[name];
  if (name === 'content-length' && existing !== undefined) {
    // Identical repeats are harmless (RFC 9112 6.3); differing ones are how bodies get smuggled.
    if (existing !== value) throw new MalformedHead('the response has conflicting Content-Length headers');
    return;
  }
  if (existing === undefined) fields[name] = name === 'set-cookie' ? [value] : value;
  else if (name === 'set-cookie') (existing as string[]).push(value);
  else if (!firstWins.has(name)) fields[name] = `${existing as string}, ${value}`;
}

function framed(parsed: ParsedHead, headLength: number): HeadResult {
  const { statusCode, headers } = parsed;
  if (headers['transfer-encoding'] !== undefined) return { kind: 'unsupported', reason: 'the body is sent with Transfer-Encoding' };
  const bodyLength = statusCode === 204 || statusCode === 304 ? 0 : contentLength(headers['content-length']);
  // An HTTP/1.0 server's keep-alive is an opt-in this reader does not ask for.
  const closes = (headers.connection ?? '').split(',').some((option) => option.trim().toLowerCase() === 'close');
  return { kind: 'head', head: { statusCode, headers, bodyLength, headLength, keepAlive: parsed.minorVersion === 1 && !closes } };
}

function contentLength(value: string | undefined): number | 'until-close' {
  if (value === undefined) return 'until-close';
  // A list of one repeated value ("5, 5") is allowed by RFC 9112 6.3; anything else is refused.
  const parts = value.split(',').map((part) => part.trim());
  if (!parts.every((part) => part === parts[0]) || !/^[0-9]{1,15}$/.test(parts[0]!)) {
    throw new MalformedHead(`the response has an invalid Content-Length (${JSON.stringify(value.slice(0, 40))})`);
  }
  return Number(parts[0]);
}
