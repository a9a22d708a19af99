// A small JSON file in the app's data folder that follows state kept in memory: read once at
// start (missing or damaged reads as nothing), rewritten at most once per `delayMs` after a
// change because changes come in bursts, and always through a temp file and a rename, so a
// crash leaves the old file or the new one.
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

export class DebouncedJsonFile {
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    /** What the file holds now; called when it is written. */
    private readonly content: () => unknown,
    private readonly onSaveError: (error: unknown) => void,
    private readonly options: { delayMs: number; indent?: number },
  ) {}

  /** The stored value, or undefined when the file is missing or not JSON. */
  async read(): Promise<unknown> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Something changed: the file is rewritten once the delay has passed. */
  changed(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.queueSave();
    }, this.options.delayMs);
  }

  /** Writes what a pending save would, now (at quit). */
  flush(): Promise<void> {
    if (this.timer === undefined) return this.saving;
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.queueSave();
  }

  async save(): Promise<void> {
    const temp = `${this.path}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, JSON.stringify(this.content(), null, this.options.indent) + '\n', { mode: 0o600 });
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  private queueSave(): Promise<void> {
    this.saving = this.saving.then(() => this.save()).catch(this.onSaveError);
    return this.saving;
  }
}
