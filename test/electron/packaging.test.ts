// Packaging without the Electron downloads: the electron-builder config against
// electron-builder's own JSON schema, no identity committed in it, and every PNG icon it ships
// checked as a real PNG of its size. The .ico files: test/build/icons.test.ts; the build itself:
// test/build/dir.test.ts; electronegativity: test/build/electronegativity.test.ts.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import Ajv from 'ajv';
import { readPng } from '../support/png.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readJson = async (path: string) => JSON.parse(await readFile(join(root, path), 'utf8')) as Record<string, unknown>;

async function builderSchemaValidator() {
  const ajv = new Ajv.default({ allErrors: true });
  // The one keyword electron-builder's schema adds (for hook functions), as ajv-keywords defines it.
  ajv.addKeyword({ keyword: 'typeof', validate: (type: string, data: unknown) => typeof data === type });
  return ajv.compile(await readJson('node_modules/app-builder-lib/scheme.json'));
}

test('the electron-builder config validates against electron-builder\'s own schema', async () => {
  const validate = await builderSchemaValidator();
  const config = await readJson('build/electron-builder.json');
  assert.equal(validate(config), true, JSON.stringify(validate.errors, null, 2));
  // The schema is strict enough to catch a slip.
  assert.equal(validate({ ...config, linux: { ...(config['linux'] as object), targets: ['deb'] } }), false);
  assert.equal(validate({ ...config, asarUnpack: { keytar: true } }), false);

  assert.equal(config['appId'], 'io.dockmirror.app');
  assert.equal(config['productName'], 'Dockmirror');
  assert.deepEqual((config['asarUnpack'] as string[]), ['**/node_modules/keytar/**']);
  const files = config['files'] as string[];
  assert.ok(files.includes('dist/**') && files.includes('package.json') && files.includes('!dist/test/**') && files.includes('!dist/**/*.map'));
  const linux = config['linux'] as { target: string[]; category: string; maintainer: string };
  // deb first: it installs the AppArmor profile Ubuntu 24.04 needs for Electron's sandbox.
  assert.deepEqual(linux.target, ['deb', 'AppImage']);
  assert.ok(linux.category && /<.+@.+>/.test(linux.maintainer));
  const mac = config['mac'] as { target: Array<{ target: string; arch: string[] }>; icon: string; notarize: boolean; hardenedRuntime: boolean };
  assert.deepEqual(mac.target, [{ target: 'dmg', arch: ['arm64', 'x64'] }]);
  assert.equal(mac.icon, 'build/icons/icon-1024.png');
  assert.equal(mac.hardenedRuntime, true);
  assert.equal(mac.notarize, true, 'notarized whenever the environment holds Apple credentials');
  // Two dmgs from one build: without the arch in the name the second would overwrite the first.
  assert.match((config['dmg'] as { artifactName: string }).artifactName, /\$\{arch\}/);
  const win = config['win'] as { target: string[]; icon: string };
  assert.deepEqual(win.target, ['nsis']);
  assert.equal(win.icon, 'build/icons/icon.ico');
  const scripts = (await readJson('package.json'))['scripts'] as Record<string, string>;
  assert.equal(scripts['dist'], 'node build/dist-preflight.mjs && npm run build && electron-builder --config build/electron-builder.json');
});

/** Every key in the config, at any depth, as a dotted path. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [`${prefix}${key}`, ...keyPaths(inner, `${prefix}${key}.`)]);
}

test('no signing or notarization identity is committed: electron-builder reads them from the environment', async () => {
  const config = await readJson('build/electron-builder.json');
  const identityKeys = /(identity|certificate|csc|password|appleId|teamId|keychain|signtool|azureSign|publisherName)/i;
  assert.deepEqual(keyPaths(config).filter((path) => identityKeys.test(path)), []);
  // The check above can fail: the same config with an identity in it is caught.
  assert.deepEqual(keyPaths({ ...config, mac: { ...(config['mac'] as object), identity: 'Developer ID Application: X' } }).filter((path) => identityKeys.test(path)), ['mac.identity']);
});

/** The size an icon's name promises: icon.png 512, icon-1024, tray NAME-16/-32, @2x doubles, templates 16. */
function promisedSize(file: string): number {
  const base = file === 'icon.png' ? 512 : Number(/-(\d+)(?:@2x)?\.png$/.exec(file)?.[1] ?? (/Template(@2x)?\.png$/.test(file) ? 16 : NaN));
  return file.includes('@2x') ? base * 2 : base;
}

test('every icon the config names or ships is a real PNG of its size; templates are black and alpha', async () => {
  const config = await readJson('build/electron-builder.json');
  const named = ['linux', 'mac', 'win'].map((platform) => (config[platform] as { icon: string }).icon);
  // The .ico files are read by test/build/icons.test.ts.
  const namedPngs = named.filter((icon) => icon.endsWith('.png'));
  const [resources] = config['extraResources'] as Array<{ from: string; filter: string[] }>;
  assert.deepEqual(resources!.filter, ['*.png', '*.ico']);
  const trayFiles = (await readdir(join(root, resources!.from))).filter((file) => file.endsWith('.png'));
  assert.equal(trayFiles.length, 18, 'three states × (16, 16@2x, 32, 32@2x, Template, Template@2x)');
  const icons = [...new Set(namedPngs), ...trayFiles.map((file) => join(resources!.from, file))];
  for (const icon of icons) {
    const name = icon.split('/').at(-1)!;
    const png = readPng(await readFile(join(root, icon)));
    const size = promisedSize(name);
    assert.deepEqual([png.width, png.height], [size, size], icon);
    let opaque = 0;
    for (let i = 0; i < png.pixels.length; i += 4) {
      if (png.pixels[i + 3]! === 0) continue;
      opaque++;
      if (name.includes('Template')) assert.deepEqual([...png.pixels.subarray(i, i + 3)], [0, 0, 0], `${icon} is black`);
    }
    assert.ok(opaque > size, `${icon} draws something`);
  }
  assert.deepEqual(named, ['build/icons/icon.png', 'build/icons/icon-1024.png', 'build/icons/icon.ico']);
});
