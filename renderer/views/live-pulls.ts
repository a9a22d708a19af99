// Live pulls: the event stream as it happens, newest first, grouped into pulls that expand to
// their requests; filter, pause/follow, clear, export.
import type { AppState, CacheResult, MirrorEvent, PullProgressEvent } from '../../main/shared/contract.js';
import { h } from '../dom.js';
import { formatBytes, formatDuration, formatPercent, formatTime } from '../format.js';
import { PullLog, type LogFilter, type LogRow } from '../live/pull-log.js';
import { virtualList } from '../live/virtual-list.js';
import { notify } from '../notify.js';
import type { Context, View } from '../view.js';

const cacheResults: CacheResult[] = ['hit', 'miss', 'coalesced', 'revalidated', 'stale', 'none'];
const heldLimit = 10_000;

export function liveView(ctx: Context): View {
  const log = new PullLog();
  const filter: LogFilter = { client: '', image: '', cache: '' };
  let paused = false;
  let following = true;
  const held: MirrorEvent[] = [];
  /** While paused, each running pull's latest progress only (a summary in `held` outranks it). */
  const heldProgress = new Map<string, MirrorEvent>();
  let frame = 0;

  const list = virtualList<LogRow>({
    rowHeight: 30,
    label: 'Pulls, newest first',
    render: renderRow,
    onScroll: () => {
      if (following && !list.atTop()) setFollow(false);
    },
  });

  const clientSelect = h('select', { id: 'live-client', attrs: { 'aria-label': 'Filter by client' } }, h('option', { value: '', text: 'All clients' }));
  const imageInput = h('input', { type: 'search', id: 'live-image', placeholder: 'Image, e.g. nginx', attrs: { 'aria-label': 'Filter by image' } });
  const cacheSelect = h(
    'select',
    { id: 'live-cache', attrs: { 'aria-label': 'Filter by cache result' } },
    h('option', { value: '', text: 'Any cache result' }),
    ...cacheResults.map((r) => h('option', { value: r, text: r })),
  );
  const pauseButton = h('button', { type: 'button', text: 'Pause', attrs: { 'aria-pressed': 'false' } });
  const followButton = h('button', { type: 'button', text: 'Follow', attrs: { 'aria-pressed': 'true' } });
  const clearButton = h('button', { type: 'button', text: 'Clear' });
  const exportButton = h('button', { type: 'button', text: 'Export JSON lines' });
  const counter = h('p', { class: 'muted count', attrs: { 'aria-live': 'polite' } });

  clientSelect.addEventListener('change', () => {
    filter.client = clientSelect.value;
    refresh();
  });
  imageInput.addEventListener('input', () => {
    filter.image = imageInput.value.trim();
    refresh();
  });
  cacheSelect.addEventListener('change', () => {
    filter.cache = cacheSelect.value as CacheResult | '';
    refresh();
  });
  pauseButton.addEventListener('click', () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      for (const event of [...held.splice(0), ...heldProgress.values()]) log.add(event);
      heldProgress.clear();
      refresh();
    } else updateCounter();
  });
  followButton.addEventListener('click', () => setFollow(!following));
  clearButton.addEventListener('click', () => {
    log.clear();
    held.length = 0;
    heldProgress.clear();
    refresh();
  });
  exportButton.addEventListener('click', () => {
    const blob = new Blob([log.exportJsonLines()], { type: 'application/x-ndjson' });
    const link = h('a', { attrs: { download: `dockmirror-pulls-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl` } });
    link.href = URL.createObjectURL(blob);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    notify(`Exported ${log.size} events.`);
  });

  /** While paused: progress replaces the pull's earlier progress; past the log's own cap the oldest held event goes. */
  function hold(event: MirrorEvent): void {
    if (event.type === 'pull-progress') {
      heldProgress.delete(event.id);
      heldProgress.set(event.id, event);
      if (heldProgress.size > heldLimit) heldProgress.delete(heldProgress.keys().next().value!);
      return;
    }
    held.push(event);
    if (held.length > heldLimit) held.shift();
  }

  function setFollow(on: boolean): void {
    following = on;
    followButton.setAttribute('aria-pressed', String(on));
    if (on) list.scrollToTop();
  }

  function updateCounter(): void {
    counter.textContent = `${log.size} events${paused && held.length ? `, ${held.length} waiting while paused` : ''}`;
  }

  function refresh(): void {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const known = new Set([...clientSelect.options].map((o) => o.value));
      for (const client of log.clients()) if (!known.has(client)) clientSelect.append(h('option', { value: client, text: client }));
      list.setItems(log.rows(filter));
      if (following) list.scrollToTop();
      updateCounter();
    });
  }

  function renderRow(row: HTMLElement, item: LogRow): void {
    row.className = `vrow ${item.kind}`;
    if (item.kind === 'running') {
      renderRunning(row, item.progress);
    } else if (item.kind === 'pull') {
      const p = item.pull;
      row.dataset['state'] = p.ok ? 'ok' : 'failed';
      const toggle = h('button', {
        type: 'button',
        class: 'expander',
        text: item.expanded ? '▾' : '▸',
        attrs: { 'aria-expanded': String(item.expanded), 'aria-label': `${item.expanded ? 'Hide' : 'Show'} the ${p.requestIds.length} requests of this pull` },
      });
      toggle.addEventListener('click', () => {
        log.toggle(p.id);
        refresh();
      });
      row.replaceChildren(toggle, h('span', { class: 'when', text: formatTime(p.time) }), ...(p.hostname ? [h('span', { class: 'client', text: p.hostname })] : []), h('span', { class: 'summary', text: p.summary, title: p.summary }));
    } else if (item.kind === 'request') {
      const r = item.request;
      row.dataset['state'] = r.status >= 400 ? 'failed' : 'ok';
      if (item.child) row.classList.add('child');
      const what = `${r.method} ${r.kind} ${r.repository ?? ''}${r.reference ? (r.reference.includes(':') ? '@' + r.reference.slice(0, 19) + '…' : ':' + r.reference) : ''}`;
      row.replaceChildren(
        h('span', { class: 'when', text: formatTime(r.time) }),
        h('span', { class: 'client', text: item.child ? '' : r.client }),
        h('span', { class: 'summary', text: what, title: what }),
        h('span', { class: `status s${Math.floor(r.status / 100)}`, text: String(r.status) }),
        h('span', { class: `cache c-${r.cache}`, text: r.cache }),
        h('span', { class: 'num', text: formatBytes(r.bytes) }),
        h('span', { class: 'num', text: formatDuration(r.durationMs) }),
      );
    } else {
      row.replaceChildren(h('span', { class: 'summary muted', text: `Request ${item.id} is no longer in the log.` }));
    }
  }

  function renderRunning(row: HTMLElement, p: PullProgressEvent): void {
    row.dataset['state'] = p.failed ? 'failed' : 'running';
    row.dataset['pull'] = p.id;
    const image = `${p.repository}${p.reference.includes(':') ? '@' + p.reference.slice(0, 19) + '…' : ':' + p.reference}`;
    const known = p.bytesTotal > 0;
    // Until the image's manifest is read the total is unknown: an indeterminate bar, no value.
    const bar = h('progress', { class: 'pull-bar', attrs: { 'aria-label': `Progress of ${image}` } });
    if (known) {
      bar.max = p.bytesTotal;
      bar.value = p.bytesDone;
    }
    const done = known ? `${p.layersDone}/${p.layersTotal} layers, ${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` : 'reading the manifest…';
    const fromCache = p.bytesDone > 0 ? `${formatPercent(p.bytesFromCache, p.bytesDone)} from cache` : '';
    row.replaceChildren(
      h('span', { class: 'expander', text: '⋯', attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'when', text: formatTime(p.time) }),
      h('span', { class: 'client', text: p.hostname ?? p.client, title: p.client }),
      h('span', { class: 'image', text: image, title: image }),
      bar,
      h('span', { class: 'done', text: done }),
      h('span', { class: 'speed num', text: `${formatBytes(p.bytesPerSecond)}/s` }),
      h('span', { class: 'from-cache', text: fromCache }),
      ...(p.failed ? [h('span', { class: 'summary', text: 'a request failed' })] : []),
    );
  }

  const element = h(
    'div',
    { class: 'view live' },
    h('header', { class: 'view-head' }, h('h2', { text: 'Live pulls' }), counter),
    h('div', { class: 'toolbar', role: 'toolbar', attrs: { 'aria-label': 'Live pulls controls' } }, clientSelect, imageInput, cacheSelect, pauseButton, followButton, clearButton, exportButton),
    list.element,
  );

  let loaded = false;
  async function load(): Promise<void> {
    // Subscribe first so nothing falls between the backlog and the stream; skip duplicates.
    const seen = new Set<string>();
    const early: MirrorEvent[] = [];
    let backlogDone = false;
    ctx.api.onEvent((event) => {
      if (!backlogDone) return void early.push(event);
      if (paused) {
        hold(event);
        updateCounter();
      } else {
        log.add(event);
        refresh();
      }
    });
    try {
      for (const event of await ctx.api.recentEvents()) {
        seen.add(event.id);
        log.add(event);
      }
    } catch {
      notify('The recent pulls could not be loaded; new ones will still show.', 'error');
    }
    for (const event of early) if (!seen.has(event.id)) log.add(event);
    backlogDone = true;
    refresh();
  }

  return {
    id: 'live',
    title: 'Live pulls',
    element,
    update(_state: AppState) {
      if (!loaded) {
        loaded = true;
        void load();
      }
    },
    shown: refresh,
  };
}
