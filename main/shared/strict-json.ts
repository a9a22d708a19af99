// A strict JSON reader that says where it stopped. JSON.parse's messages differ between Node and
// browsers and give no line; dockerd rejects comments and trailing commas, so they are named.
// Compiled into the window too (renderer/tsconfig.json), for the daemon.json merge.

export interface StrictJsonError {
  message: string;
  line: number;
  column: number;
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: StrictJsonError };

class JsonSyntaxError extends Error {
  constructor(message: string, readonly index: number) {
    super(message);
  }
}

export function parseStrictJson(source: string): Parsed {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new JsonSyntaxError(message, at);
  };
  const describe = (at: number): string => (at >= source.length ? 'the end of the text' : `"${source[at]}"`);
  const skipSpace = (): void => {
    for (;;) {
      const c = source[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else if (c === '/' && (source[i + 1] === '/' || source[i + 1] === '*')) {
        fail('Comments are not allowed in daemon.json; remove it.');
      } else return;
    }
  };
  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      const c = source[i];
      if (c === undefined) fail('This text has no closing quote.', start);
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\n' || (c !== undefined && c < ' ')) fail('A line break or control character is not allowed inside a string.');
      if (c === '\\') {
        const e = source[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(source.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail('This escape sequence is not valid JSON.');
      } else {
        out += c;
        i++;
      }
    }
  };
  const parseValue = (): unknown => {
    skipSpace();
    const c = source[i];
    if (c === '{') return parseObject();
    if (c === '[') return parseArray();
    if (c === '"') return parseString();
    if (c === "'") fail('JSON strings need double quotes, not single quotes.');
    const number = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
    if (number && number[0] !== '' && number[0] !== '-') {
      i += number[0].length;
      return Number(number[0]);
    }
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (source.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail(`Expected a value but found ${describe(i)}.`);
  };
  const parseArray = (): unknown[] => {
    i++;
    const out: unknown[] = [];
    skipSpace();
    if (source[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(parseValue());
      skipSpace();
      if (source[i] === ',') {
        const comma = i;
        i++;
        skipSpace();
        if (source[i] === ']') fail('Trailing comma before "]": remove the last comma.', comma);
        continue;
      }
      if (source[i] === ']') {
        i++;
        return out;
      }
      fail(`Expected "," or "]" but found ${describe(i)}.`);
    }
  };
  const parseObject = (): Record<string, unknown> => {
    i++;
    const out: Record<string, unknown> = {};
    skipSpace();
    if (source[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (source[i] !== '"') fail(`Expected a key in double quotes but found ${describe(i)}.`);
      const keyAt = i;
      const key = parseString();
      if (Object.prototype.hasOwnProperty.call(out, key)) fail(`The key "${key}" appears twice.`, keyAt);
      skipSpace();
      if (source[i] !== ':') fail(`Expected ":" after the key "${key}" but found ${describe(i)}.`);
      i++;
      defineKey(out, key, parseValue());
      skipSpace();
      if (source[i] === ',') {
        const comma = i;
        i++;
        skipSpace();
        if (source[i] === '}') fail('Trailing comma before "}": remove the last comma.', comma);
        continue;
      }
      if (source[i] === '}') {
        i++;
        return out;
      }
      fail(`Expected "," or "}" but found ${describe(i)}.`);
    }
  };
  try {
    const value = parseValue();
    skipSpace();
    if (i < source.length) fail(`Unexpected ${describe(i)} after the end of the JSON.`);
    return { ok: true, value };
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const { line, column } = lineColumn(source, error.index);
    return { ok: false, error: { message: `Line ${line}, column ${column}: ${error.message}`, line, column } };
  }
}

export function lineColumn(source: string, index: number): { line: number; column: number } {
  const before = source.slice(0, index).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** Sets a key on a plain object; defineProperty, so a "__proto__" key in the user's file stays a plain key. */
export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
