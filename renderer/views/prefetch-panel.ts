// The Cache view's prefetch card: paste a list, or load a docker-compose.yml, Kubernetes YAML or
// Dockerfile (read here; only its text and its base name go to the core, never a path), start,
// and follow each image's layers and bytes until it is done. The engine keeps the progress in its
// status; while a prefetch runs the card asks for the state once a second.
import type { AppState, PrefetchStatus } from '../../main/shared/contract.js';
import { clear, field, h } from '../dom.js';
import { formatBytes } from '../format.js';
import { notify, run } from '../notify.js';
import type { Context } from '../view.js';

const pollMs = 1_000;

export interface PrefetchPanel {
  element: HTMLElement;
  update(state: AppState): void;
}

export function prefetchPanel(ctx: Context, onFinished: () => void): PrefetchPanel {
  const text = h('textarea', { id: 'prefetch-list', placeholder: 'One image a line, e.g.\nnginx:1.27\nghcr.io/acme/api:2', attrs: { rows: '5', spellcheck: 'false' } });
  const file = h('input', { type: 'file', id: 'prefetch-file', attrs: { accept: '.yml,.yaml,.txt,Dockerfile,*' } });
  const start = h('button', { type: 'button', class: 'primary', text: 'Prefetch' });
  const summary = h('p', { class: 'muted prefetch-summary', attrs: { 'aria-live': 'polite' } });
  const table = h('table', { class: 'prefetch-table', hidden: true });
  let fileName: string | undefined;
  let polling: number | undefined;
  let wasRunning = false;

  file.addEventListener('change', () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    if (chosen.size > 1_000_000) return notify(`${chosen.name} is over 1 MB; that is not an image list.`, 'error');
    void chosen.text().then((content) => {
      text.value = content;
      fileName = chosen.name;
    });
  });
  text.addEventListener('input', () => {
    fileName = undefined;
  });
  start.addEventListener('click', () => {
    void run(start, () => ctx.api.startPrefetch(text.value, fileName)).then((status) => {
      if (!status) return;
      render(status);
      poll();
    });
  });

  /** Progress moves without events a window would get, so it is fetched until the prefetch ends. */
  function poll(): void {
    if (polling !== undefined) return;
    polling = window.setInterval(() => {
      void ctx.api.getState().then((state) => {
        ctx.apply(state);
        if (!state.mirror.prefetch?.running) {
          window.clearInterval(polling);
          polling = undefined;
        }
      }, () => undefined);
    }, pollMs);
  }

  function render(status: PrefetchStatus): void {
    const done = status.images.filter((i) => i.state === 'done').length;
    const failed = status.images.filter((i) => i.state === 'failed').length;
    summary.textContent = status.running
      ? `Prefetching: ${done} of ${status.images.length || '…'} image(s) done${failed ? `, ${failed} failed` : ''}.`
      : `Prefetch finished: ${done} image(s) cached${failed ? `, ${failed} not` : ''}.`;
    start.disabled = status.running;
    clear(table);
    table.hidden = status.images.length === 0;
    table.append(h('thead', {}, h('tr', {}, ...['Image', 'State', 'Layers', 'Bytes'].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))));
    const body = h('tbody');
    for (const image of status.images) {
      const state = image.state === 'failed' ? `Failed: ${image.message ?? ''}` : image.state === 'done' ? 'Done' : image.state === 'running' ? 'Fetching' : 'Waiting';
      const bytes = image.bytesTotal > 0 ? `${formatBytes(image.bytesDone)} of ${formatBytes(image.bytesTotal)}` : formatBytes(image.bytesDone);
      body.append(
        h(
          'tr',
          { class: `prefetch-image ${image.state}`, attrs: { 'data-image': image.image } },
          h('th', { text: image.image, attrs: { scope: 'row' } }),
          h('td', { class: 'prefetch-state', text: state }),
          h('td', { class: 'prefetch-layers', text: `${image.layersDone} / ${image.layersTotal}` }),
          h('td', { class: 'num', text: bytes }),
        ),
      );
    }
    table.append(body);
  }

  const element = h(
    'section',
    { class: 'card prefetch' },
    h('h3', { text: 'Prefetch' }),
    h('p', { class: 'muted', text: 'Pull images into the cache with no host involved, e.g. before taking a laptop offline. Paste a list, or load a docker-compose.yml, Kubernetes YAML or Dockerfile.' }),
    field('Images', text),
    h('div', { class: 'row' }, field('Or load a file', file), start),
    summary,
    table,
  );

  return {
    element,
    update(state: AppState) {
      const status = state.mirror.prefetch;
      if (!status) return;
      render(status);
      if (status.running) poll();
      if (wasRunning && !status.running) onFinished();
      wasRunning = status.running;
    },
  };
}
