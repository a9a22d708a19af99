// One polite live region for results and errors, so screen readers hear them too.
import { h } from './dom.js';

const regionId = 'dm-notify';

/** The page's one region (main.ts places it); the document holds it, so this module holds no state. */
export function notifyRegion(): HTMLElement {
  return document.getElementById(regionId) ?? h('div', { id: regionId, class: 'toast', role: 'status', attrs: { 'aria-live': 'polite' } });
}

export function notify(message: string, kind: 'info' | 'error' = 'info'): void {
  const el = notifyRegion();
  el.textContent = message;
  el.dataset['kind'] = kind;
  el.classList.add('visible');
  // The pending hide lives on the region, so a new message restarts the same timer.
  window.clearTimeout(Number(el.dataset['hideTimer']));
  el.dataset['hideTimer'] = String(window.setTimeout(() => el.classList.remove('visible'), kind === 'error' ? 8000 : 3000));
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
