// Strict parsing of the networks people write in an allowlist. Lenient parsing widened ranges in
// silence: "192.168.1.0/" became /0 and "fd00::/" became ::/0, and "/0x0" or "/1e1" passed as
// numbers. So every part is read by its own grammar, and a refusal names the exact entry and what
// is wrong with it. An address without a prefix is one host. An address with bits set beyond its
// prefix (192.168.1.20/24, as `ip addr` prints an interface) means that prefix's network.

export interface Cidr {
  family: 'ipv4' | 'ipv6';
  /** The network address, host bits cleared, written canonically (192.168.1.0, fd00::). */
  network: string;
  prefix: number;
  /** The network as one entry: 192.168.1.0/24, fd00::/8. */
  text: string;
}

export class CidrError extends Error {
  constructor(readonly entry: string, reason: string) {
    super(`${JSON.stringify(entry)} is not a network: ${reason}; write it like 192.168.1.0/24, fd00::/8 or one address such as 192.168.1.20.`);
    this.name = 'CidrError';
  }
}

const decimalOctet = /^(?:0|[1-9]\d{0,2})$/;
const prefixDigits = /^(?:0|[1-9]\d{0,2})$/;
const hexGroup = /^[0-9a-fA-F]{1,4}$/;

/** Parses one entry, exactly as given (no trimming); throws CidrError with a sentence. */
export function parseCidr(entry: string): Cidr {
  if (typeof entry !== 'string' || entry === '') throw new CidrError(String(entry ?? ''), 'the entry is empty');
  if (/\s/.test(entry)) throw new CidrError(entry, 'it contains a space');
  const slash = entry.indexOf('/');
  if (slash !== entry.lastIndexOf('/')) throw new CidrError(entry, 'it has more than one "/"');
  const addressText = slash === -1 ? entry : entry.slice(0, slash);
  if (addressText === '') throw new CidrError(entry, 'the address before "/" is missing');
  const family = addressText.includes(':') ? 'ipv6' : 'ipv4';
  const bytes = family === 'ipv4' ? parseIpv4(addressText, entry) : parseIpv6(addressText, entry);
  const width = bytes.length * 8;
  let prefix = width;
  if (slash !== -1) {
    const prefixText = entry.slice(slash + 1);
    if (prefixText === '') throw new CidrError(entry, 'the prefix length after "/" is missing');
    if (!prefixDigits.test(prefixText)) throw new CidrError(entry, `the prefix length "${prefixText}" is not a plain number from 0 to ${width}`);
    prefix = Number(prefixText);
    if (prefix > width) throw new CidrError(entry, `the prefix length ${prefix} is more than the ${width} bits of an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  }
  const network = maskBytes(bytes, prefix);
  const networkText = family === 'ipv4' ? network.join('.') : formatIpv6(network);
  return { family, network: networkText, prefix, text: `${networkText}/${prefix}` };
}

/**
 * A comma-separated list as the command line takes it (spaces around commas are fine); throws
 * CidrError for the first wrong entry, or an Error when there is none at all.
 */
export function parseCidrList(text: string): Cidr[] {
  const entries = text.split(',').map((part) => part.trim());
  if (entries.every((entry) => entry === '')) throw new Error('The allowlist needs at least one network, such as 192.168.1.0/24.');
  return entries.map((entry, index) => {
    if (entry === '') throw new CidrError(entry, `entry ${index + 1} of the list is empty (two commas in a row, or one at an end)`);
    return parseCidr(entry);
  });
}

function parseIpv4(text: string, entry: string): number[] {
  const parts = text.split('.');
  if (parts.length !== 4) throw new CidrError(entry, `"${text}" is not an IPv4 address of four numbers`);
  return parts.map((part) => {
    if (!decimalOctet.test(part)) {
      const why = /^0\d/.test(part) ? 'has a leading zero' : 'is not a plain number';
      throw new CidrError(entry, `"${part}" in the address ${why}`);
    }
    const value = Number(part);
    if (value > 255) throw new CidrError(entry, `${value} in the address is more than 255`);
    return value;
  });
}

function parseIpv6(text: string, entry: string): number[] {
  if (text.includes('%')) throw new CidrError(entry, 'a zone such as %eth0 names an interface, not a network');
  const halves = text.split('::');
  if (halves.length > 2) throw new CidrError(entry, '"::" may appear only once in an IPv6 address');
  const groupsOf = (half: string, allowIpv4Tail: boolean): number[] => {
    if (half === '') return [];
    const parts = half.split(':');
    const words: number[] = [];
    parts.forEach((part, index) => {
      if (allowIpv4Tail && index === parts.length - 1 && part.includes('.')) {
        const [a, b, c, d] = parseIpv4(part, entry);
        words.push((a! << 8) | b!, (c! << 8) | d!);
      } else if (hexGroup.test(part)) words.push(parseInt(part, 16));
      else throw new CidrError(entry, `"${part}" is not a group of one to four hex digits`);
    });
    return words;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  const words =
    halves.length === 2
      ? head.length + tail.length <= 7
        ? [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
        : null
      : head.length === 8
        ? head
        : null;
  if (!words) throw new CidrError(entry, `"${text}" does not have the eight groups of an IPv6 address`);
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}

function maskBytes(bytes: number[], prefix: number): number[] {
  return bytes.map((byte, index) => {
    const bitsHere = Math.max(0, Math.min(8, prefix - index * 8));
    return byte & ((0xff << (8 - bitsHere)) & 0xff);
  });
}

/** RFC 5952 form: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
function formatIpv6(bytes: number[]): string {
  const words = Array.from({ length: 8 }, (_, i) => (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Whether `address` (an IPv4 or IPv6 address, IPv4-mapped IPv6 read as IPv4) lies in `cidr`. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped ? mapped[1]! : address;
  const family = plain.includes(':') ? 'ipv6' : 'ipv4';
  if (family !== cidr.family) return false;
  let parsed: Cidr;
  try {
    parsed = parseCidr(`${plain.replace(/%.*$/, '')}/${cidr.prefix}`);
  } catch {
    return false;
  }
  return parsed.network === cidr.network;
}
