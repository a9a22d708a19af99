// A window may act on a CoreError's code, so every code main/ raises must be one of the table's.
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { test } from 'node:test';
import { coreErrorCodes } from '../../main/core/core-error.js';
import { repoRoot as root, sourcesWithText } from '../support/source-files.js';

/** The literal codes of `new CoreError('…'` in a source, and any CoreError built from a non-literal. */
function thrownCodes(source: string): { codes: string[]; unchecked: string[] } {
  const codes = [...source.matchAll(/new CoreError\(\s*'([^']*)'/g)].map((match) => match[1]!);
  const unchecked = [...source.matchAll(/new CoreError\(\s*([^'\s][^,]*),[^)]*\)/g)].map((match) => match[0]).filter((call) => !call.includes("'passed-on'"));
  return { codes, unchecked };
}

test('the scan finds literal codes and flags a code it cannot read', () => {
  assert.deepEqual(thrownCodes("throw new CoreError('busy', 'x'); new CoreError(\n  'not-open', `y`)").codes, ['busy', 'not-open']);
  assert.deepEqual(thrownCodes('throw new CoreError(code, message);').unchecked, ['new CoreError(code, message)']);
  assert.deepEqual(thrownCodes("new CoreError(code, message, 'passed-on')").unchecked, []);
});

test("every code thrown in main/ is in core-error.ts's table", async () => {
  const unknown: string[] = [];
  let seen = 0;
  for (const { file, text } of await sourcesWithText('main')) {
    const { codes, unchecked } = thrownCodes(text);
    seen += codes.length;
    for (const code of codes) if (!Object.hasOwn(coreErrorCodes, code)) unknown.push(`${relative(root, file)}: ${code}`);
    for (const call of unchecked) unknown.push(`${relative(root, file)}: ${call}`);
  }
  assert.ok(seen > 20, `expected the core's throws under ${root}/main, found ${seen}`);
  assert.deepEqual(unknown, []);
});
