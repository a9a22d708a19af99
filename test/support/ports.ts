// Free loopback ports for test servers. Some children (distribution) cannot listen on port 0, so we
// borrow a port from the kernel and hand it over; the caller must retry when another process wins
// the race for it in between. Ports that Node's fetch (undici) refuses are never handed out, since a
// test server on one of them could not be reached by the code under test.
import { createServer, type Server } from 'node:net';

/** The "bad ports" of the Fetch standard, which undici refuses to connect to. */
const FETCH_BLOCKED_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103,
  104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513,
  514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719,
  1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679,
  6697, 10080,
]);

export function isFetchBlockedPort(port: number): boolean {
  return FETCH_BLOCKED_PORTS.has(port);
}

/** A port on 127.0.0.1 that was free a moment ago. */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port: 0, exclusive: true }, () => {
        const address = probe.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (port !== 0 && !isFetchBlockedPort(port)) return port;
  }
  throw new Error('Could not find a free loopback port that fetch may use.');
}

/**
 * Listens on 127.0.0.1 with a kernel-chosen port (retrying on the rare fetch-blocked one) and
 * returns that port. Works for http.Server and net.Server alike.
 */
export async function listenOnLoopback(server: Server, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen({ host, port: 0 }, () => {
        server.off('error', onError);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    if (!isFetchBlockedPort(port)) return port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  throw new Error('Could not listen on a loopback port that fetch may use.');
}

/** Listens again on a known port, e.g. when a test brings a "down" server back up. */
export async function listenOnPort(server: Server, port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
