// Child process for the keychain test: drives the app core with the real keytar keychain inside
// whatever D-Bus session the parent gave it, and prints what it saw as one JSON line.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppCore } from '../../main/core/app-core.js';
import { keytarKeychain } from '../../main/core/keychain.js';

const [username, token] = [process.env['KEYCHAIN_TEST_USER']!, process.env['KEYCHAIN_TEST_TOKEN']!];
const dataDir = process.env['KEYCHAIN_TEST_DATA'] ?? (await mkdtemp(join(tmpdir(), 'dm-keychain-')));
const core = createAppCore({ dataDir, keychain: keytarKeychain('dockmirror-test') });
await core.open();
const report: Record<string, unknown> = {};
const before = await core.getState();
report['before'] = { credentials: before.credentials, problems: before.problems.map((p) => p.code) };
try {
  report['saved'] = await core.saveCredentials(username, token);
} catch (error) {
  report['saveError'] = (error as Error).message;
}
report['stateAfterSave'] = JSON.stringify(await core.getState());
report['readBack'] = await keytarKeychain('dockmirror-test').get(`hub:${username}`).catch(() => null);
try {
  report['deleted'] = await core.deleteCredentials();
} catch (error) {
  report['deleteError'] = (error as Error).message;
}
await core.updateSettings({ listenHost: '127.0.0.1', port: Number(process.env['KEYCHAIN_TEST_PORT']) });
report['serving'] = (await core.startMirror()).mirror.serving;
await core.shutdown();
process.stdout.write(`${JSON.stringify(report)}\n`);
