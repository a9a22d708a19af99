// The response-head parser of the raw blob reader: what it accepts, and the classes of head it
// refuses because a body framed wrongly would be hashed, stored and served.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { malformedHeadCode, maxHeadBytes, parseResponseHead, type ResponseHead } from '../../../mirror/upstream/response-head.js';

function head(text: string): ResponseHead {
  const result = parseResponseHead(Buffer.from(text, 'latin1'));
  assert.equal(result.kind, 'head', JSON.stringify(result));
  return (result as { head: ResponseHead }).head;
}

function refused(text: string | Buffer, pattern: RegExp): void {
  assert.throws(() => parseResponseHead(Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1')), (error: Error & { code?: string }) => {
    assert.equal(error.code, malformedHeadCode);
    assert.match(error.message, pattern);
    return true;
  });
}

test('a head is parsed with its status, its fields as node:http names them, and where its body starts', () => {
  const text = 'HTTP/1.1 206 Partial Content\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nLocation: /one\r\nLocation: /two\r\nEmpty:\r\n\r\nhello';
  const parsed = head(text);
  assert.equal(parsed.statusCode, 206);
  assert.equal(parsed.bodyLength, 5);
  assert.equal(parsed.headLength, text.length - 5);
  assert.deepEqual(parsed.headers, { 'content-length': '5', 'x-a': '1, 2', 'set-cookie': ['a=1', 'b=2'], location: '/one', empty: '' });
  assert.equal(head('HTTP/1.0 200\r\ncontent-length:  7 \r\n\r\n').bodyLength, 7);
});

test('a head not yet complete asks for more; interim 1xx heads are passed over', () => {
  assert.deepEqual(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Len')), { kind: 'incomplete' });
  assert.deepEqual(parseResponseHead(Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n')), { kind: 'incomplete' });
  const text = 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const parsed = head(text);
  assert.equal(parsed.statusCode, 200);
  assert.equal(parsed.headLength, text.length - 2);
  assert.equal(parsed.headers.link, undefined, 'fields of an interim head are not the answer');
});

test('bodies framed by the connection, by status, or by chunks are told apart', () => {
  assert.equal(head('HTTP/1.1 200 OK\r\n\r\n').bodyLength, 'until-close');
  assert.equal(head('HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n').bodyLength, 0);
  assert.equal(head('HTTP/1.1 304 Not Modified\r\n\r\n').bodyLength, 0);
  for (const encoding of ['chunked', 'gzip, chunked', 'identity']) {
    const result = parseResponseHead(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: ${encoding}\r\n\r\n`));
    assert.equal(result.kind, 'unsupported', encoding);
  }
  assert.equal(parseResponseHead(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n')).kind, 'unsupported');
});

test('only an HTTP/1.1 answer that does not ask to close leaves its connection for another request', () => {
  assert.equal(head('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive, true);
  assert.equal(head('HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\n\r\n').keepAlive, true);
  for (const connection of ['close', 'Close', 'keep-alive, close', 'upgrade,CLOSE']) {
    assert.equal(head(`HTTP/1.1 200 OK\r\nConnection: ${connection}\r\n\r\n`).keepAlive, false, connection);
  }
  assert.equal(head('HTTP/1.1 200 OK\r\nConnection: closed\r\n\r\n').keepAlive, true, 'a token, not a substring');
  assert.equal(head('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n').keepAlive, false);
});

test('a Content-Length that is not one plain number is refused, as are conflicting ones', () => {
  assert.equal(head('HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n').bodyLength, 5);
  assert.equal(head('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n').bodyLength, 5);
  refused('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', /conflicting Content-Length/);
  for (const value of ['5, 6', '+5', '-1', '0x10', '1e3', '5 5', '5.0', '', '1234567890123456', 'five']) {
    refused(`HTTP/1.1 200 OK\r\nContent-Length: ${value}\r\n\r\n`, /invalid Content-Length/);
  }
});

test('status lines other than HTTP/1.x and a three-digit code are refused', () => {
  for (const line of ['HTTP/2 200', 'HTTP/1.1 20', 'HTTP/1.1 2000 OK', 'HTTP/1.1 099 Low', 'ICY 200 OK', 'http/1.1 200 OK', 'HTTP/1.1  200 OK', ' HTTP/1.1 200 OK', 'HTTP/1.1 200 O\u0000K']) {
    refused(`${line}\r\nContent-Length: 0\r\n\r\n`, /status line/);
  }
});

test('header lines that could be read two ways are refused: folds, spaces in names, missing colons, control characters', () => {
  const lines = ['Bad Name: x', ' folded: x', '\tfolded', 'NoColon', ': empty name', 'X-A: a\rb', 'X-A: a\u0000b', 'X-A: a\u007fb', 'Content-Length\t: 5'];
  for (const line of lines) refused(`HTTP/1.1 200 OK\r\nX-First: 1\r\n${line}\r\n\r\n`, /header/);
  // A bare LF inside the head ends no line here; it is a control character in a value.
  refused('HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 99\r\n\r\n', /control characters/);
});

test('heads larger than node:http allows are refused, whole or still arriving', () => {
  const filler = `X-Filler: ${'a'.repeat(200)}\r\n`;
  const big = `HTTP/1.1 200 OK\r\n${filler.repeat(Math.ceil(maxHeadBytes / filler.length))}`;
  refused(Buffer.from(big, 'latin1'), /larger than/);
  refused(Buffer.from(`${big}\r\n`, 'latin1'), /larger than/);
  const many = `HTTP/1.1 200 OK\r\n${'X: 1\r\n'.repeat(101)}\r\n`;
  refused(many, /more than 100 header lines/);
  assert.equal(head(`HTTP/1.1 200 OK\r\n${'X: 1\r\n'.repeat(99)}Content-Length: 0\r\n\r\n`).bodyLength, 0);
  const interim = 'HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n';
  refused(interim.repeat(Math.ceil(maxHeadBytes / interim.length) + 1), /larger than/);
});
