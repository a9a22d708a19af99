// The engine is plain Node that the app, the CLI and the headless mode host: nothing in mirror/
// may reach up into main/ or load Electron, or the engine could no longer run without the app.
import assert from 'node:assert/strict';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { repoRoot as root, sourcesWithText } from '../support/source-files.js';

/** Every quoted relative path or module name, so an import hidden in a string variable counts too. */
function referencedModules(source: string): string[] {
  return [...source.matchAll(/['"`]((?:\.{1,2}\/[^'"`\s]*)|electron(?:\/[^'"`\s]*)?)['"`]/g)].map((match) => match[1]!);
}

/** What a file of mirror/ references that lies in main/ or is Electron, as "file: specifier". */
export function upwardReferences(file: string, source: string): string[] {
  const main = join(root, 'main') + sep;
  return referencedModules(source)
    .filter((specifier) => specifier === 'electron' || specifier.startsWith('electron/') || resolve(dirname(file), specifier).startsWith(main))
    .map((specifier) => `${relative(root, file)}: ${specifier}`);
}

test('the checker sees an upward import, a hidden one and electron', () => {
  const file = join(root, 'mirror', 'http', 'server.ts');
  assert.deepEqual(upwardReferences(file, "import { x } from '../../main/shared/contract.js';"), ['mirror/http/server.ts: ../../main/shared/contract.js']);
  assert.equal(upwardReferences(file, "const launcher = '../../main/launch.js'; await import(launcher);").length, 1);
  assert.equal(upwardReferences(file, "import { app } from 'electron';").length, 1);
  assert.deepEqual(upwardReferences(file, "import { a } from './route.js'; import { b } from '../store/paths.js';"), []);
});

test('no file in mirror/ imports from main/ or loads electron', async () => {
  const files = await sourcesWithText('mirror');
  assert.ok(files.length > 30, `expected the engine's sources under ${root}/mirror, found ${files.length}`);
  const found = files.flatMap(({ file, text }) => upwardReferences(file, text));
  assert.deepEqual(found, []);
});
