// Parsing of `WWW-Authenticate` challenges (RFC 7235 auth-params), as sent by registries.

export interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

const paramPattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;

export function parseChallenge(header: string | undefined): Challenge | null {
  if (!header) return null;
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return null;
  const params: Record<string, string> = {};
  for (const param of match[2]!.matchAll(paramPattern)) {
    params[param[1]!.toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3]!;
  }
  return { scheme, params };
}
