// Changing the cache folder: "start empty" / "use the cache already there" switches the settings
// and the engine; "move" copies the store's own files, verifies them, switches, and only then
// deletes the old folder's own files. Whatever fails, the old folder stays whole, the settings
// keep pointing at it, the mirror serves from it again, and the failure stays in the app's
// problems (window and tray) until a later change succeeds.
import { relative, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { removeOwnFiles } from '../../mirror/index.js';
import { formatBytes } from '../shared/format.js';
import { CacheCopy } from './cache-copy.js';
import { holdsCache, inspectCachePath } from './cache-folder.js';
import type { AppProblem, AppSettings, CacheMoveMode } from '../shared/contract.js';
import { CoreError, toCoreError } from './core-error.js';
import type { MirrorRunner } from './mirror-runner.js';
import { validateSettings } from './settings.js';
import type { SettingsInForce } from './settings-in-force.js';

/** Names of the store's layout: a folder inside one of these would be copied into itself. */
const layoutFolders: ReadonlySet<string> = new Set(['blobs', 'manifests', 'registries', 'tmp']);

function whyCopyFailed(error: unknown, copy: CacheCopy): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `${copy.to} ran out of space after ${copy.fileCount} files were copied`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `Dockmirror cannot write to ${copy.to} (${code})`;
  if (code === 'EEXIST') return `another program put files into ${copy.to} while the cache was being copied`;
  if (error instanceof CoreError) return error.message;
  return `copying to ${copy.to} failed (${code ?? (error as Error)?.message ?? 'unknown error'})`;
}

export class CacheSwitch {
  private failure: AppProblem | null = null;
  private busy = false;

  constructor(
    private readonly runner: MirrorRunner,
    private readonly settings: SettingsInForce,
    private readonly logger: Logger,
  ) {}

  /** The last change that failed, until one succeeds. */
  get problem(): AppProblem | null {
    return this.failure;
  }

  async change(path: string, mode: CacheMoveMode): Promise<void> {
    // A second change (a double click) would copy into a folder the first is filling.
    if (this.busy) throw new CoreError('busy', 'The cache folder is being changed already; wait until that is done.');
    this.busy = true;
    try {
      await (mode === 'move' ? this.move(path) : this.adopt(path));
      this.failure = null;
    } catch (error) {
      const failure = toCoreError(error);
      this.failure = { code: 'cache-move-failed', message: failure.message, since: new Date().toISOString() };
      this.logger.error({ err: error, to: path, mode }, 'changing the cache folder failed; the old folder is still the cache');
      throw failure;
    } finally {
      this.busy = false;
    }
  }

  /** The checked new folder; null when it already is the cache. */
  private async target(path: string): Promise<{ to: string; holdsCache: boolean } | null> {
    const { check, state } = await inspectCachePath(path);
    if (!check.ok) throw new CoreError('invalid-path', check.message);
    const previous = this.settings.current;
    if (check.path === resolve(previous.cachePath)) return null;
    return { to: check.path, holdsCache: state !== null && holdsCache(state) };
  }

  /** The new folder as it is (empty, new, or a Dockmirror cache adopted); the old one untouched. */
  private async adopt(path: string): Promise<void> {
    const target = await this.target(path);
    if (!target) return;
    const previous = this.settings.current;
    await this.settings.switchTo(this.naming(target.to));
    this.logger.info({ from: previous.cachePath, to: target.to, mode: 'empty' }, 'cache folder changed');
  }

  private async move(path: string): Promise<void> {
    const target = await this.target(path);
    if (!target) return;
    const previous = this.settings.current;
    const from = resolve(previous.cachePath);
    const { to } = target;
    if (target.holdsCache) {
      throw new CoreError('cache-move-failed', `${to} already holds a Dockmirror cache; use it as it is ("Use the cache already there"), or choose an empty folder to move this cache into.`);
    }
    const inside = relative(from, to).split(sep)[0]!;
    if (layoutFolders.has(inside)) throw new CoreError('cache-move-failed', `${to} is inside the cache's own ${inside} folder; choose a folder outside ${from}/${inside}.`);

    const { runner } = this;
    const wasServing = runner.serving;
    const stays = wasServing ? `the cache stays in ${from} and the mirror keeps serving from it` : `the cache stays in ${from}`;
    const copy = new CacheCopy(from, to);
    const short = await copy.shortOfSpace();
    if (short) throw new CoreError('cache-move-failed', `The cache holds ${formatBytes(short.needed)} but ${to} has only ${formatBytes(short.free)} free; nothing was copied, and ${stays}.`);
    let stopped = false;
    try {
      await copy.sync(); // while the old engine still serves: the long part costs clients nothing
      await copy.verify();
      await runner.stop();
      stopped = true;
      await copy.sync(); // what the last pulls wrote; nothing writes to the old folder now
      await copy.verify();
      await copy.seal();
      await copy.verify(); // the marker
    } catch (error) {
      const reason = whyCopyFailed(error, copy); // before discard() forgets what was copied
      await copy.discard().catch((cleanup: unknown) => this.logger.error({ err: cleanup, to }, 'removing the partial copy failed'));
      if (stopped && wasServing) await this.restart(this.settings.current);
      throw new CoreError('cache-move-failed', `The cache was not moved: ${reason}. The copies were removed, and ${stays}.`);
    }
    try {
      await this.settings.switchTo(this.naming(to), wasServing);
    } catch (error) {
      await copy.discard().catch((cleanup: unknown) => this.logger.error({ err: cleanup, to }, 'removing the copy failed'));
      throw new CoreError('cache-move-failed', `The cache was copied but the mirror could not use ${to}: ${toCoreError(error).message.replace(/\.?$/, '.')} The copies were removed, and ${stays}.`);
    }
    this.logger.info({ from, to, files: copy.fileCount }, 'cache moved');
    // Only now, with the new folder serving, do the old copies go: the store's own names only.
    try {
      await removeOwnFiles(from, await copy.ownFilesToRetire());
    } catch (error) {
      this.logger.warn({ err: error, from }, 'some of the old cache folder\'s files could not be removed after the move');
    }
  }

  /** Read when the switch happens, so a setting changed during a long copy is kept. */
  private naming(cachePath: string): AppSettings {
    return validateSettings({ cachePath }, this.settings.current);
  }

  private async restart(settings: AppSettings): Promise<void> {
    await this.runner.start(settings).catch((error: unknown) => this.logger.error({ err: error }, 'the mirror could not serve the old cache folder again'));
  }
}
