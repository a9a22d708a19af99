// Reads the HOST:PORT values people type: `--listen` for the mirror and `--ui` for the window.
// One grammar for both, so "[::1]:5001", ":5000" and "5000" mean the same thing on either flag;
// only the default host differs (the mirror is for the LAN, the window for this machine).

export interface HostPort {
  host: string;
  port: number;
}

export const defaultUiAddress = { host: '127.0.0.1', port: 5001 } as const;

const hostPort = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):)?(\d+)$/;

function parseHostPort(text: string, defaultHost: string): HostPort | null {
  const match = hostPort.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { host: match[1] || match[2] || defaultHost, port };
}

/** `--listen`: "0.0.0.0:5000", "[::]:5000", ":5000" or "5000" (every interface by default). */
export function parseListen(text: string): HostPort {
  const parsed = parseHostPort(text, '0.0.0.0');
  if (!parsed) throw new Error(`"${text}" is not a listen address; write it like 0.0.0.0:5000, 127.0.0.1:5000 or [::]:5000.`);
  return parsed;
}

/** `--ui`: like `--listen`, but loopback when absent or when only a port is given. */
export function parseUiAddress(value: string | undefined): HostPort {
  const text = (value ?? '').trim();
  if (text === '') return { ...defaultUiAddress };
  const parsed = parseHostPort(text, defaultUiAddress.host);
  if (!parsed) throw new Error(`"${value}" is not a window address: use HOST:PORT, for example 127.0.0.1:5001.`);
  // The window's Host check (ui-access.ts) compares addresses, so the name is resolved here.
  return parsed.host === 'localhost' ? { ...parsed, host: '127.0.0.1' } : parsed;
}
