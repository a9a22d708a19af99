// One polite live region for results and errors, so screen readers hear them too.
import { h } from './dom.js';

let region: HTMLElement | null = null;
let timer: number | undefined;

export function notifyRegion(): HTMLElement {
  region ??= h('div', { class: 'toast', role: 'status', attrs: { 'aria-live': 'polite' } });
  return region;
}

export function notify(message: string, kind: 'info' | 'error' = 'info'): void {
  const el = notifyRegion();
  el.textContent = message;
  el.dataset['kind'] = kind;
  el.classList.add('visible');
  window.clearTimeout(timer);
  timer = window.setTimeout(() => el.classList.remove('visible'), kind === 'error' ? 8000 : 3000);
}

export function errorText(error: unknown): string {
  return error instanceof Error && error.message ? error.message : 'Something went wrong.';
}

/** Runs an action from a button: disables it meanwhile and reports a failure in plain words. */
export async function run<T>(button: HTMLButtonElement | null, action: () => Promise<T>, done?: string): Promise<T | undefined> {
  if (button) button.disabled = true;
  try {
    const result = await action();
    if (done) notify(done);
    return result;
  } catch (error) {
    notify(errorText(error), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
