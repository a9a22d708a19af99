// A throwaway certificate authority for https tests and the benchmark's https row: openssl makes
// a CA and leaves signed by it, valid for a day, into a directory the caller owns. A process
// trusts the CA the way a user with a private CA would set it up: NODE_EXTRA_CA_CERTS for Node,
// SSL_CERT_FILE for Go (distribution).
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TlsIdentity {
  key: Buffer;
  cert: Buffer;
}

/**
 * `leaves`: the name of each leaf (its CN and file name) and its subjectAltName, e.g.
 * `{ localhost: 'DNS:localhost', loopback: 'IP:127.0.0.1' }`.
 */
export async function makeTestCertificates<Name extends string>(dir: string, leaves: Record<Name, string>): Promise<{ caFile: string; leaves: Record<Name, TlsIdentity> }> {
  const at = (name: string): string => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '1', '-subj', '/CN=Dockmirror test CA']);
  const made = {} as Record<Name, TlsIdentity>;
  for (const [name, altName] of Object.entries(leaves) as [Name, string][]) {
    await writeFile(at(`${name}.ext`), `subjectAltName=${altName}\n`);
    await run('openssl', ['req', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', `/CN=${name}`]);
    await run('openssl', ['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial',
      '-days', '1', '-extfile', at(`${name}.ext`), '-out', at(`${name}.pem`)]);
    made[name] = { key: await readFile(at(`${name}.key`)), cert: await readFile(at(`${name}.pem`)) };
  }
  return { caFile: at('ca.pem'), leaves: made };
}

/** The environment for a Node child that trusts `caFile` besides its own CAs; undefined (inherit) without one. */
export function nodeEnvTrusting(caFile: string | undefined): NodeJS.ProcessEnv | undefined {
  return caFile ? { ...process.env, NODE_EXTRA_CA_CERTS: caFile } : undefined;
}
