// Reads the value of `--ui` ("127.0.0.1:5001", "[::1]:5001", "5001" or "localhost:5001").
// Loopback unless the user names another address on purpose.

export const defaultUiAddress = { host: '127.0.0.1', port: 5001 } as const;

export function parseUiAddress(value: string | undefined): { host: string; port: number } {
  const text = (value ?? '').trim();
  if (text === '') return { ...defaultUiAddress };
  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):)?(\d+)$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`"${value}" is not a window address: use HOST:PORT, for example 127.0.0.1:5001.`);
  }
  const host = match[1] ?? match[2] ?? defaultUiAddress.host;
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}
