// The Cache view's keep-warm card: each kept image with its last refresh, next refresh and
// result, "Refresh now" per image and for all, adding an image (all platforms or chosen ones),
// the schedule (every N hours or a nightly window) and expiry. The list lives in the settings;
// the engine takes a change without a restart.
import type { AppState, KeptImageStatus } from '../../main/shared/contract.js';
import { clear, field, h } from '../dom.js';
import { formatWhen } from '../format.js';
import { notify, run } from '../notify.js';
import type { Context } from '../view.js';

const resultText: Record<KeptImageStatus['result'], string> = {
  waiting: 'Not refreshed yet',
  unchanged: 'Unchanged',
  updated: 'Updated',
  repaired: 'Repaired',
  failed: 'Failed',
  budget: 'Left for the next run',
  paused: 'Paused (rate limit)',
};

export interface KeepWarmPanel {
  element: HTMLElement;
  update(state: AppState): void;
}

export function keepWarmPanel(ctx: Context, onChanged: () => void): KeepWarmPanel {
  const table = h('table', { class: 'kept-table' });
  const none = h('p', { class: 'muted', text: 'No image is kept warm. Turn on "Keep warm" for a cached image, or add one here.' });
  const refreshAll = h('button', { type: 'button', text: 'Refresh kept images now' });
  const name = h('input', { type: 'text', id: 'keep-image', placeholder: 'nginx:1.27 or ghcr.io/acme/api:2' });
  const platforms = h('input', { type: 'text', id: 'keep-platforms', placeholder: 'all, or linux/amd64, linux/arm64' });
  const add = h('button', { type: 'button', text: 'Keep warm' });
  const mode = h('select', { id: 'keep-mode' }, h('option', { value: 'every', text: 'Every N hours' }), h('option', { value: 'nightly', text: 'Nightly window' }));
  const hours = h('input', { type: 'number', id: 'keep-hours', attrs: { min: '1', max: '168', step: '1' } });
  const from = h('input', { type: 'time', id: 'keep-from' });
  const to = h('input', { type: 'time', id: 'keep-to' });
  const saveSchedule = h('button', { type: 'button', text: 'Save schedule' });
  const expireDays = h('input', { type: 'number', id: 'expire-days', attrs: { min: '1', max: '3650', step: '1' } });
  const saveExpiry = h('button', { type: 'button', text: 'Save expiry' });
  const everyField = field('Refresh every (hours)', hours);
  const windowFields = h('div', { class: 'row' }, field('From (local time)', from), field('To', to));

  const applied = (done: Promise<AppState | undefined>) =>
    void done.then((state) => {
      if (!state) return;
      ctx.apply(state);
      onChanged();
    });

  refreshAll.addEventListener('click', () => void run(refreshAll, () => ctx.api.refreshKeptImages(), 'Kept images refreshed.').then(onChanged));
  add.addEventListener('click', () => {
    const chosen = platforms.value.trim();
    const list = chosen === '' || chosen === 'all' ? null : chosen.split(/[\s,]+/).filter(Boolean);
    applied(run(add, () => ctx.api.keepImageWarm(name.value.trim(), true, list), `${name.value.trim()} is kept warm.`));
  });
  mode.addEventListener('change', () => showMode());
  saveSchedule.addEventListener('click', () => {
    const current = ctx.state().settings.keepWarm;
    const nightly = mode.value === 'nightly' ? { start: from.value, end: to.value } : null;
    const everyHours = mode.value === 'nightly' ? current.everyHours : Number(hours.value);
    applied(run(saveSchedule, () => ctx.api.updateSettings({ keepWarm: { ...current, everyHours, nightly } }), 'Schedule saved.'));
  });
  saveExpiry.addEventListener('click', () => {
    const value = expireDays.value.trim();
    if (value !== '' && !/^\d+$/.test(value)) return notify('Enter whole days, or leave it empty to never expire.', 'error');
    applied(run(saveExpiry, () => ctx.api.updateSettings({ expireAfterDays: value === '' ? null : Number(value) }), value === '' ? 'Expiry is off.' : `Images nobody pulled for ${value} days will be removed.`));
  });

  function showMode(): void {
    everyField.hidden = mode.value === 'nightly';
    windowFields.hidden = mode.value !== 'nightly';
  }

  function render(state: AppState): void {
    const statuses = new Map((state.mirror.keepWarm ?? []).map((s) => [s.image, s]));
    const images = state.settings.keepWarm.images;
    clear(table);
    none.hidden = images.length > 0;
    table.hidden = images.length === 0;
    refreshAll.disabled = images.length === 0;
    table.append(h('thead', {}, h('tr', {}, ...['Kept image', 'Platforms', 'Last refresh', 'Next refresh', 'Result', ''].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))));
    const body = h('tbody');
    for (const image of images) {
      const label = `${image.registry}/${image.repository}:${image.tag}`;
      const status = statuses.get(label);
      const refresh = h('button', { type: 'button', class: 'small', text: 'Refresh now', attrs: { 'aria-label': `Refresh ${label} now` } });
      refresh.addEventListener('click', () => void run(refresh, () => ctx.api.refreshKeptImages(label)).then((results) => {
        const result = results?.find((r) => r.image === label);
        if (result) notify(`${label}: ${resultText[result.result]}${result.detail ? ` — ${result.detail}` : ''}`, result.result === 'failed' ? 'error' : 'info');
        onChanged();
      }));
      const stop = h('button', { type: 'button', class: 'small', text: 'Stop keeping', attrs: { 'aria-label': `Stop keeping ${label} warm` } });
      stop.addEventListener('click', () => applied(run(stop, () => ctx.api.keepImageWarm(label, false), `${label} is no longer kept warm.`)));
      body.append(
        h(
          'tr',
          { class: 'kept-image', attrs: { 'data-image': label } },
          h('th', { text: label, attrs: { scope: 'row' } }),
          h('td', { text: image.platforms ? image.platforms.join(', ') : 'All' }),
          h('td', { class: 'last-refresh', text: formatWhen(status?.lastRefresh ?? null) }),
          h('td', { class: 'next-refresh', text: status?.nextRefresh ? formatWhen(status.nextRefresh) : state.mirror.serving ? '—' : 'When the mirror runs' }),
          h('td', { class: 'kept-result', text: status ? resultText[status.result] : resultText.waiting, title: status?.detail ?? '' }),
          h('td', {}, refresh, stop),
        ),
      );
    }
    table.append(body);
  }

  const element = h(
    'section',
    { class: 'card keep-warm' },
    h('div', { class: 'row' }, h('h3', { text: 'Keep warm' }), refreshAll),
    h('p', { class: 'muted', text: 'Kept images are pinned and refreshed on the schedule: a HEAD per tag, and new layers only when the tag moved. A refresh never spends more than half the pulls Docker Hub says are left.' }),
    none,
    table,
    h('div', { class: 'row' }, field('Image', name), field('Platforms', platforms), add),
    h('div', { class: 'row' }, field('Schedule', mode), everyField, windowFields, saveSchedule),
    h('div', { class: 'row' }, field('Remove images nobody pulled for (days, empty for never)', expireDays), saveExpiry),
  );

  return {
    element,
    update(state: AppState) {
      render(state);
      const { everyHours, nightly } = state.settings.keepWarm;
      const editing = [mode, hours, from, to, expireDays].includes(document.activeElement as never);
      if (!editing) {
        mode.value = nightly ? 'nightly' : 'every';
        hours.value = String(everyHours);
        from.value = nightly?.start ?? '02:00';
        to.value = nightly?.end ?? '05:00';
        expireDays.value = state.settings.expireAfterDays === null ? '' : String(state.settings.expireAfterDays);
        showMode();
      }
    },
  };
}
