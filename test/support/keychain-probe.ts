// Child process for the keychain-message tests: probes the real keytar keychain inside whatever
// D-Bus session the parent gave it, optionally loading keytar from KEYCHAIN_PROBE_MODULE, and
// prints the probe's answer as one JSON line.
import { keytarKeychain, loadKeytar } from '../../main/core/keychain.js';

const specifier = process.env['KEYCHAIN_PROBE_MODULE'];
const keychain = keytarKeychain('dockmirror-test', specifier ? () => loadKeytar(specifier) : undefined);
process.stdout.write(`${JSON.stringify({ problem: await keychain.probe() })}\n`);
