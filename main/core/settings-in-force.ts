// The settings the app runs with: the one copy in memory, the file it is saved to, and the
// engine it is applied to, changed together. A change that the engine cannot take puts the
// previous settings back in all three, serving again if the mirror served before.
import type { Logger } from 'pino';
import type { AppSettings } from '../shared/contract.js';
import { CoreError, toCoreError } from './core-error.js';
import type { MirrorRunner } from './mirror-runner.js';
import type { SettingsStore } from './settings.js';

export class SettingsInForce {
  constructor(
    private readonly store: SettingsStore,
    private settings: AppSettings,
    private readonly runner: MirrorRunner,
    private readonly logger: Logger,
  ) {}

  get current(): AppSettings {
    return this.settings;
  }

  /** Writes `next` to the file and makes it current, without touching the engine. */
  save(next: AppSettings): void {
    try {
      this.store.set({ ...next, clientAuth: { ...next.clientAuth }, allowlist: [...next.allowlist] });
    } catch (error) {
      throw new CoreError('invalid-setting', `The settings could not be saved: ${(error as Error).message}`);
    }
    this.settings = next;
  }

  /**
   * Saves and applies `next`. `wasServing` is whether the mirror should serve afterwards; a cache
   * move passes it because it stopped the engine itself before the switch.
   */
  async switchTo(next: AppSettings, wasServing = this.runner.serving): Promise<void> {
    const previous = this.settings;
    this.save(next);
    try {
      await this.runner.apply(next);
      // apply() restarts a mirror it found serving; one stopped beforehand (a move) starts here. A
      // taken port was already reported by apply(), with a free one suggested: not tried twice.
      if (wasServing && !this.runner.serving && this.runner.suggestedPort === undefined) await this.runner.start(next);
    } catch (error) {
      this.logger.error({ err: error }, 'applying settings failed; restoring the previous ones');
      try {
        this.save(previous);
      } catch (saveError) {
        this.logger.error({ err: saveError }, 'the previous settings could not be saved back');
        this.settings = previous;
      }
      await this.runner.apply(previous).catch((restoreError: unknown) => this.logger.error({ err: restoreError }, 'restoring settings failed'));
      // apply() restarts only an engine that was serving when it was called, and the failed one was not.
      if (wasServing) await this.runner.start(previous).catch((restoreError: unknown) => this.logger.error({ err: restoreError }, 'serving with the previous settings failed'));
      throw toCoreError(error);
    }
  }
}
