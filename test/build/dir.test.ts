// The production file set, proven with electron-builder itself: its CLI builds the linux `dir`
// target from build/electron-builder.json, with a stand-in for the unpacked Electron (its
// binary cannot be downloaded here), inside a network namespace of its own so any download it
// tried would fail the build. Then app.asar is read back with @electron/asar and extracted, and
// the app's headless side and every production dependency are loaded from the extracted copy.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { extractAll, extractFile, listPackage, statFile } from '@electron/asar';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const run = promisify(execFile);
const buildTimeoutMs = 180_000;

interface LockEntry {
  name?: string;
  version: string;
  /** Only the dev tree needs it (devOptional ones are also optional production packages). */
  dev?: boolean;
}
type PackageJson = { main: string; dependencies: Record<string, string>; optionalDependencies: Record<string, string>; devDependencies: Record<string, string> };
const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;

/**
 * What electron-builder needs of an unpacked Electron for linux `dir` (app-builder-lib's
 * ElectronFramework, unpack() for a directory): the `electron` binary, which it renames to the
 * app's executable, and the files it moves or keeps beside it. The binary refuses to run.
 */
async function electronStandIn(dir: string, version: string): Promise<void> {
  await mkdir(join(dir, 'resources'), { recursive: true });
  await mkdir(join(dir, 'locales'));
  await writeFile(join(dir, 'electron'), '#!/bin/sh\necho "a stand-in for Electron: it does not run" >&2\nexit 1\n');
  await chmod(join(dir, 'electron'), 0o755);
  await writeFile(join(dir, 'version'), version);
  await writeFile(join(dir, 'LICENSE'), 'Electron stand-in for the packaging test.\n');
  await writeFile(join(dir, 'locales', 'en-US.pak'), '');
}

interface Built {
  work: string;
  appDir: string;
  asarPath: string;
  log: string;
}

/**
 * The config is used as `npm run dist` uses it, extended by three build-host settings: the
 * stand-in as electronDist (no download of Electron), an output folder in the temp dir, and
 * npmRebuild false — the rebuild of keytar for Electron fetches Electron's headers from
 * electronjs.org (node-gyp), and a failed rebuild deletes node_modules/keytar/build.
 */
async function buildDir(work: string): Promise<Built> {
  const electronVersion = (await readJson<{ version: string }>(join(root, 'node_modules', 'electron', 'package.json'))).version;
  const standIn = join(work, 'electron-dist');
  await electronStandIn(standIn, electronVersion);
  const override = join(work, 'electron-builder.json');
  const output = join(work, 'release');
  await writeFile(override, JSON.stringify({ extends: join(root, 'build', 'electron-builder.json'), electronDist: standIn, npmRebuild: false, directories: { output } }));
  const cli = join(root, 'node_modules', '.bin', 'electron-builder');
  // unshare --net: a namespace with only a loopback that is down, so nothing leaves this machine.
  const { stdout, stderr } = await run('unshare', ['--net', cli, '--linux', 'dir', '--x64', '--publish', 'never', '--projectDir', root, '--config', override], {
    cwd: root,
    env: { ...process.env, ELECTRON_BUILDER_CACHE: join(work, 'builder-cache') },
    timeout: buildTimeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  const appDir = join(output, 'linux-unpacked');
  return { work, appDir, asarPath: join(appDir, 'resources', 'app.asar'), log: stdout + stderr };
}

/** The packages in the archive as name@version (electron-builder hoists nested ones it can). */
function packagesIn(asarPath: string, entries: string[]): Set<string> {
  const packageJson = /^\/(?:node_modules\/(?:@[^/]+\/)?[^/]+\/)+package\.json$/;
  return new Set(
    entries
      .filter((entry) => packageJson.test(entry))
      .map((entry) => JSON.parse(extractFile(asarPath, entry.slice(1)).toString('utf8')) as { name: string; version: string })
      .map(({ name, version }) => `${name}@${version}`),
  );
}

/** The lockfile's packages as name@version: those only the dev tree needs, and the others. */
function lockedPackages(lock: { packages: Record<string, LockEntry> }): { devOnly: Set<string>; production: Set<string> } {
  const devOnly = new Set<string>();
  const production = new Set<string>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/')) continue;
    const id = `${entry.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${entry.version}`;
    (entry.dev ? devOnly : production).add(id);
  }
  return { devOnly, production };
}

test('electron-builder builds the linux dir target from the config, and app.asar holds what the app needs and nothing else', { timeout: buildTimeoutMs + 120_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'dm-build-dir-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const built = await buildDir(work);
  const entries = listPackage(built.asarPath, { isPack: false });

  await t.test('electron-builder packed from the stand-in, offline, without rebuilding or downloading', () => {
    assert.match(built.log, /using custom unpacked Electron distribution/);
    assert.match(built.log, /skipped dependencies rebuild/);
    assert.doesNotMatch(built.log, /download/i);
  });

  await t.test('app.asar holds the compiled main, preload, engine and renderer, and package.json main resolves inside it', () => {
    const pkg = JSON.parse(extractFile(built.asarPath, 'package.json').toString('utf8')) as PackageJson;
    assert.ok(entries.includes(`/${pkg.main}`), `main ${pkg.main} is in app.asar`);
    assert.ok('size' in statFile(built.asarPath, pkg.main), 'main is a file');
    for (const file of ['dist/main/preload.cjs', 'dist/main/engine-process/engine-child.js', 'dist/renderer/index.html', 'dist/renderer/renderer/main.js', 'dist/renderer/styles.css']) {
      assert.ok(entries.includes(`/${file}`), `${file} is in app.asar`);
    }
    assert.equal(pkg.devDependencies, undefined, 'the packed package.json carries no devDependencies');
  });

  await t.test('keytar\'s native module is unpacked beside the archive, and the tray icons are in resources/', async () => {
    const keytarNode = 'node_modules/keytar/build/Release/keytar.node';
    assert.equal((statFile(built.asarPath, keytarNode) as { unpacked?: boolean }).unpacked, true);
    const unpacked = await readFile(join(built.appDir, 'resources', 'app.asar.unpacked', keytarNode));
    assert.deepEqual(unpacked.subarray(0, 4), Buffer.from([0x7f, 0x45, 0x4c, 0x46]), 'an ELF shared object');
    const trayDir = join(root, 'build', 'icons', 'tray');
    const shipped = (await readdir(trayDir)).sort();
    assert.deepEqual((await readdir(join(built.appDir, 'resources', 'tray'))).sort(), shipped);
    assert.ok(shipped.some((file) => file.endsWith('.ico')) && shipped.some((file) => file.endsWith('.png')));
    for (const file of shipped) assert.deepEqual(await readFile(join(built.appDir, 'resources', 'tray', file)), await readFile(join(trayDir, file)), file);
  });

  await t.test('no Electron, no dev-only package, no tests, TypeScript sources or source maps', async () => {
    const lock = lockedPackages(await readJson(join(root, 'package-lock.json')));
    const packed = packagesIn(built.asarPath, entries);
    assert.ok(!entries.some((entry) => entry.startsWith('/node_modules/electron/')), 'no electron');
    assert.deepEqual([...packed].filter((id) => !lock.production.has(id)), [], 'packages only the dev tree needs (or the lockfile does not know)');
    // Every production package npm installed is there too, or the app would fail to load one.
    assert.deepEqual([...lock.production].filter((id) => !packed.has(id)), []);
    const pkg = await readJson<PackageJson>(join(root, 'package.json'));
    const devDependencies = Object.keys(pkg.devDependencies).map((name) => `${name}@`);
    const devOnlyDirect = [...lock.devOnly].filter((id) => devDependencies.some((prefix) => id.startsWith(prefix)));
    assert.ok(['electron@', 'typescript@', 'electron-builder@'].every((prefix) => devOnlyDirect.some((id) => id.startsWith(prefix))));
    assert.deepEqual(devOnlyDirect.filter((id) => packed.has(id)), []);

    assert.deepEqual(entries.filter((entry) => entry.split('/').length === 2).sort(), ['/dist', '/node_modules', '/package.json']);
    assert.deepEqual(entries.filter((entry) => /\/(test|tests|__tests__)(\/|$)/.test(entry)), [], 'test folders');
    assert.deepEqual(entries.filter((entry) => /\.(ts|cts|mts|map)$/.test(entry)), [], 'TypeScript sources and source maps');
  });

  await t.test('the extracted app loads its headless side and every production dependency with Node', async () => {
    const extracted = join(built.work, 'extracted');
    extractAll(built.asarPath, extracted);
    const pkg = await readJson<PackageJson>(join(extracted, 'package.json'));
    const names = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)];
    // electron-store imports Electron itself, which only the packaged app's binary provides.
    const loadable = names.filter((name) => name !== 'electron-store');
    const script = [
      "import { createRequire } from 'node:module';",
      `const require = createRequire(${JSON.stringify(join(extracted, 'package.json'))});`,
      `require.resolve('electron-store');`,
      `for (const name of ${JSON.stringify(loadable)}) await import(require.resolve(name));`,
      `await import(${JSON.stringify(join(extracted, 'dist', 'main', 'headless', 'run-headless.js'))});`,
      `const keytar = require('keytar'); if (typeof keytar.getPassword !== 'function') throw new Error('keytar has no getPassword');`,
      "process.stdout.write('loaded');",
    ].join('\n');
    // Offline too: a package that fetches on load (Electron's own does, when it has no binary) fails here.
    const { stdout } = await run('unshare', ['--net', process.execPath, '--input-type=module', '-e', script], { cwd: built.work, timeout: 60_000 });
    assert.equal(stdout, 'loaded');
  });
});
