// Overview: is the mirror serving, where LAN hosts reach it, how well the cache works, and what
// is wrong in plain words.
import type { AppState } from '../../main/shared/contract.js';
import { copyButton } from '../copy-button.js';
import { clear, h } from '../dom.js';
import { pullsSaved as pullsSavedOf } from '../../main/shared/format.js';
import { formatBytes, formatPercent, formatWindow } from '../format.js';
import { run } from '../notify.js';
import type { Context, View } from '../view.js';

function stat(label: string): { el: HTMLElement; value: HTMLElement; detail: HTMLElement } {
  const value = h('p', { class: 'stat-value', text: '—' });
  const detail = h('p', { class: 'stat-detail' });
  return { el: h('section', { class: 'stat card' }, h('h3', { text: label }), value, detail), value, detail };
}

export function overviewView(ctx: Context): View {
  const badge = h('span', { class: 'badge', attrs: { 'aria-live': 'polite' } });
  const toggle = h('button', { type: 'button', class: 'primary', text: 'Start' });
  toggle.addEventListener('click', () => {
    const serving = ctx.state().mirror.serving;
    void run(toggle, () => (serving ? ctx.api.stopMirror() : ctx.api.startMirror())).then((s) => s && ctx.apply(s));
  });
  const addresses = h('ul', { class: 'addresses', attrs: { 'aria-label': 'Addresses for LAN hosts' } });
  const problems = h('ul', { class: 'problems', attrs: { 'aria-label': 'Problems' } });
  // Not problems: what the app chose for this machine (a port), or where its tray went.
  const notices = h('ul', { class: 'notices', attrs: { 'aria-label': 'Notices' } });
  const cache = stat('Cache');
  const meter = h('progress', { attrs: { 'aria-label': 'Cache use against its size cap' } });
  cache.el.append(meter);
  const hits = stat('Hit ratio');
  const saved = stat('Bandwidth saved');
  const pullsLeft = stat('Docker Hub pulls left');
  const pullsSaved = stat('Pulls saved');
  const perRegistry = h('table', { class: 'registries', attrs: { 'aria-label': 'Registries' } });

  const element = h(
    'div',
    { class: 'view overview' },
    h('header', { class: 'view-head' }, h('h2', { text: 'Overview' }), badge, toggle),
    h('section', { class: 'card' }, h('h3', { text: 'Point your Docker hosts at' }), addresses),
    notices,
    problems,
    h('div', { class: 'stats' }, cache.el, hits.el, saved.el, pullsLeft.el, pullsSaved.el),
    h('section', { class: 'card' }, h('h3', { text: 'Registries' }), perRegistry),
  );

  /** One row per registry that was asked for or has a problem: the others have nothing to say. */
  function renderRegistries(state: AppState): void {
    clear(perRegistry);
    const troubled = new Set(state.problems.map((p) => p.registry).filter(Boolean));
    const shown = (state.mirror.registries ?? []).filter((r) => r.requests > 0 || troubled.has(r.name));
    perRegistry.hidden = shown.length === 0;
    perRegistry.append(h('thead', {}, h('tr', {}, ...['Registry', 'Requests', 'Upstream pulls', 'Upstream'].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))));
    const body = h('tbody');
    for (const r of shown) {
      const upstream = r.throttled ? `too many requests${r.throttled.retryAfterSeconds === null ? '' : `, retry in ${r.throttled.retryAfterSeconds} s`}` : r.reachable === false ? (r.lastError ?? 'unreachable') : r.rateLimit ? `${r.rateLimit.remaining} / ${r.rateLimit.limit} pulls left` : r.reachable ? 'reachable' : '—';
      body.append(h('tr', { class: 'registry' }, h('th', { text: r.name, attrs: { scope: 'row' } }), h('td', { class: 'num', text: String(r.requests) }), h('td', { class: 'num', text: String(r.upstreamPulls) }), h('td', { text: upstream })));
    }
    perRegistry.append(body);
  }

  function update(state: AppState): void {
    const { mirror } = state;
    badge.textContent = mirror.serving ? 'Serving' : 'Stopped';
    badge.dataset['state'] = mirror.serving ? 'on' : 'off';
    toggle.textContent = mirror.serving ? 'Stop mirror' : 'Start mirror';

    clear(addresses);
    if (state.addresses.length === 0) addresses.append(h('li', { text: 'No network address found on this machine.' }));
    for (const address of state.addresses) {
      addresses.append(
        h('li', {}, h('code', { text: address.mirrorUrl }), h('span', { class: 'muted', text: ` ${address.interfaceName}` }), copyButton(address.mirrorUrl, () => address.mirrorUrl)),
      );
    }

    clear(problems);
    problems.hidden = state.problems.length === 0;
    for (const problem of state.problems) {
      const li = h('li', { class: 'problem', role: 'alert', text: problem.message });
      if (problem.code === 'port-in-use' && state.suggestedPort) {
        const port = state.suggestedPort;
        const use = h('button', { type: 'button', text: `Use port ${port}` });
        use.addEventListener('click', () => void run(use, () => ctx.api.updateSettings({ port })).then((s) => s && ctx.apply(s)));
        li.append(' ', use);
      }
      problems.append(li);
    }

    clear(notices);
    const noticeList = state.notices ?? [];
    notices.hidden = noticeList.length === 0;
    for (const notice of noticeList) notices.append(h('li', { class: `notice notice-${notice.code}`, role: 'status', text: notice.message }));

    const { bytes, maxBytes } = mirror.cache;
    cache.value.textContent = formatBytes(bytes);
    cache.detail.textContent = maxBytes ? `of ${formatBytes(maxBytes)} cap` : 'no size cap';
    meter.max = maxBytes ?? 1;
    meter.value = maxBytes ? Math.min(bytes, maxBytes) : 0;
    meter.hidden = !maxBytes;

    const c = mirror.counters;
    hits.value.textContent = formatPercent(c.hits, c.hits + c.misses);
    hits.detail.textContent = `${c.hits} hits, ${c.misses} misses`;
    saved.value.textContent = formatBytes(c.bytesFromCache);
    saved.detail.textContent = `${formatBytes(c.bytesFromUpstream)} fetched from upstream`;
    const rl = mirror.rateLimit;
    pullsLeft.value.textContent = rl ? `${rl.remaining} / ${rl.limit}` : '—';
    pullsLeft.detail.textContent = rl ? `per ${formatWindow(rl.windowSeconds)}${rl.source ? `, counted for ${rl.source}` : ''}` : 'known after the first upstream pull';
    pullsSaved.value.textContent = String(pullsSavedOf(c));
    pullsSaved.detail.textContent = `${c.pullsServed} served, ${c.upstreamPulls} sent upstream`;
    renderRegistries(state);
  }

  return { id: 'overview', title: 'Overview', element, update };
}
