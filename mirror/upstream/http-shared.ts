// What the two upstream readers (node:http in http-request.ts, the raw blob reader in
// raw-get.ts) share: the response shape, the limits a request carries, our own error codes, and
// the address guard that keeps an upstream's redirect from reaching the mirror's own network.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { MinimumProgress } from './progress-watch.js';

export interface HttpResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** The address actually connected to, to judge where the upstream may send us. */
  remoteAddress: string | undefined;
}

export interface HttpTimeouts {
  connectMs: number;
  idleMs: number;
}

export interface RequestLimits {
  /** Epoch ms by which the answer must have ended (with `deadlineCoversBody`) or begun. */
  deadlineAt?: number;
  deadlineCoversBody?: boolean;
  minProgress?: MinimumProgress;
  /** Says why an address may not be connected to (null: it may); for hosts the upstream chose. */
  refuseAddress?: (address: string) => string | null;
  /** A blob body, worth the raw reader's cheaper receive path (raw-get.ts). */
  largeBody?: boolean;
}

/** Error codes of our own timeouts and refusals, for messages a person can act on. */
export const connectTimeoutCode = 'UPSTREAM_CONNECT_TIMEOUT';
export const idleTimeoutCode = 'UPSTREAM_IDLE_TIMEOUT';
export const deadlineCode = 'UPSTREAM_DEADLINE';
export const slowBodyCode = 'UPSTREAM_TOO_SLOW';
export const refusedAddressCode = 'UPSTREAM_ADDRESS_REFUSED';

export function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** dns.lookup that leaves out refused addresses, so a name cannot smuggle in a loopback target. */
export function guardedLookup(refuse: (address: string) => string | null) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, options.all ? [] : '');
      const allowed = addresses.filter((entry) => refuse(entry.address) === null);
      if (allowed.length === 0) {
        const reason = addresses[0] ? refuse(addresses[0].address) : `${hostname} has no address`;
        return callback(codedError(refusedAddressCode, reason ?? `${hostname} is refused`), options.all ? [] : '');
      }
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
