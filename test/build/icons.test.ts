// The Windows icons build/make-icons.mjs writes by hand, read back the strict way: the ICO
// header, every 16-byte directory entry, and each entry's PNG (CRCs, scanlines) matching the
// size its entry claims — the app icon up to the 256 px Explorer and the NSIS installer ask for,
// the tray icons at every scaling Windows' notification area uses.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readPng, type Png } from '../support/png.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface IcoEntry {
  width: number;
  height: number;
  bitsPerPixel: number;
  png: Png;
}

/** Parses an ICO whose entries are PNGs; throws a sentence on anything else. */
function readIco(file: Buffer): IcoEntry[] {
  if (file.length < 6) throw new Error('shorter than an ICO header');
  if (file.readUInt16LE(0) !== 0 || file.readUInt16LE(2) !== 1) throw new Error('not an ICO header (reserved 0, type 1)');
  const count = file.readUInt16LE(4);
  if (count === 0 || file.length < 6 + 16 * count) throw new Error(`a directory of ${count} entries does not fit`);
  const entries: IcoEntry[] = [];
  let expectedOffset = 6 + 16 * count;
  for (let i = 0; i < count; i++) {
    const entry = file.subarray(6 + 16 * i, 6 + 16 * (i + 1));
    const [width, height, colours, reserved] = [entry[0]!, entry[1]!, entry[2]!, entry[3]!];
    if (colours !== 0 || reserved !== 0 || entry.readUInt16LE(4) !== 1) throw new Error(`entry ${i}: palette, reserved byte or planes are wrong`);
    const size = entry.readUInt32LE(8);
    const offset = entry.readUInt32LE(12);
    // Images follow the directory back to back, in entry order, to the end of the file.
    if (offset !== expectedOffset || offset + size > file.length) throw new Error(`entry ${i}: its image is not where the directory says`);
    expectedOffset = offset + size;
    entries.push({ width: width || 256, height: height || 256, bitsPerPixel: entry.readUInt16LE(6), png: readPng(file.subarray(offset, offset + size)) });
  }
  if (expectedOffset !== file.length) throw new Error('bytes after the last image');
  return entries;
}

async function icoSizes(path: string): Promise<number[]> {
  const entries = readIco(await readFile(join(root, path)));
  for (const entry of entries) {
    assert.equal(entry.bitsPerPixel, 32, path);
    assert.deepEqual([entry.png.width, entry.png.height], [entry.width, entry.height], `${path}: each PNG is the size its entry claims`);
    let drawn = 0;
    for (let i = 3; i < entry.png.pixels.length; i += 4) if (entry.png.pixels[i]! > 0) drawn++;
    assert.ok(drawn > entry.width, `${path} at ${entry.width} px draws something`);
  }
  return entries.map((entry) => entry.width);
}

test('the Windows app icon is an ICO of PNGs from 16 to 256 px, and the config names it', async () => {
  assert.deepEqual(await icoSizes('build/icons/icon.ico'), [16, 24, 32, 48, 64, 128, 256]);
  const config = JSON.parse(await readFile(join(root, 'build', 'electron-builder.json'), 'utf8')) as { win: { icon: string } };
  assert.equal(config.win.icon, 'build/icons/icon.ico');
});

test('each tray state has an ICO for every notification-area scaling (100 % to 300 %)', async () => {
  for (const state of ['serving', 'stopped', 'error']) {
    assert.deepEqual(await icoSizes(`build/icons/tray/${state}.ico`), [16, 20, 24, 32, 40, 48], state);
  }
});

test('the ICO reader rejects what is not a well-formed ICO, so the checks above can fail', async () => {
  const good = await readFile(join(root, 'build', 'icons', 'icon.ico'));
  const broken = (change: (copy: Buffer) => Buffer): Buffer => change(Buffer.from(good));
  assert.throws(() => readIco(broken((b) => (b.writeUInt16LE(2, 2), b))), /not an ICO header/);
  assert.throws(() => readIco(broken((b) => (b.writeUInt32LE(b.readUInt32LE(6 + 12) + 1, 6 + 12), b))), /not where the directory says/);
  assert.throws(() => readIco(broken((b) => b.subarray(0, b.length - 1))), /not where the directory says/);
  assert.throws(() => readIco(Buffer.concat([good, Buffer.from([0])])), /bytes after the last image/);
  // An entry claiming 32 px over a 16 px image is caught by the size check.
  const mislabelled = broken((b) => ((b[6] = 32), (b[7] = 32), b));
  const [first] = readIco(mislabelled);
  assert.notDeepEqual([first!.png.width, first!.png.height], [first!.width, first!.height]);
});
