// Cache: what is cached and how big, who pulled it, pin, keep warm, refresh or delete one image
// or everything, and where it lives; the keep-warm and prefetch cards are files of their own.
import type { AppState, CachedRepository, CacheMoveMode, ExpiryPreview } from '../../main/shared/contract.js';
import { clear, field, h } from '../dom.js';
import { browseForFolder, confirmDialog } from '../folder-browser.js';
import { formatBytes, formatWhen } from '../format.js';
import { notify, run } from '../notify.js';
import type { Context, View } from '../view.js';
import { keepWarmPanel } from './keep-warm-panel.js';
import { prefetchPanel } from './prefetch-panel.js';

const gb = 1_000_000_000;

export function cacheView(ctx: Context): View {
  const pathText = h('code', { class: 'path' });
  const usage = h('p', { class: 'muted' });
  const keptTotals = h('p', { class: 'muted kept-totals' });
  const change = h('button', { type: 'button', text: 'Change folder…' });
  const openFolder = h('button', { type: 'button', text: 'Open folder' });
  const capInput = h('input', { type: 'number', id: 'cache-cap', attrs: { min: '0', step: '0.5', inputmode: 'decimal' } });
  const capSave = h('button', { type: 'button', text: 'Save cap' });
  const refresh = h('button', { type: 'button', text: 'Refresh' });
  const clearAll = h('button', { type: 'button', class: 'danger', text: 'Clear cache' });
  const table = h('table', { class: 'cache-table' });
  const empty = h('p', { class: 'muted', text: 'Nothing is cached yet. Pull an image through the mirror and it shows up here.' });
  const moveChoice = h('div', { class: 'card move-choice', hidden: true });
  const expiryTotals = h('p', { class: 'muted expiry-totals' });
  const keepWarm = keepWarmPanel(ctx, () => void load());
  const prefetch = prefetchPanel(ctx, () => void load());

  openFolder.addEventListener('click', () => void run(openFolder, () => ctx.api.openCacheFolder()));
  refresh.addEventListener('click', () => void load());
  capSave.addEventListener('click', () => {
    const value = capInput.value.trim();
    const maxSizeBytes = value === '' || Number(value) === 0 ? null : Math.round(Number(value) * gb);
    if (maxSizeBytes !== null && !(maxSizeBytes > 0)) return notify('Enter the cap in GB, or leave it empty for no cap.', 'error');
    void run(capSave, () => ctx.api.updateSettings({ maxSizeBytes }), 'Size cap saved.').then((s) => s && ctx.apply(s));
  });
  clearAll.addEventListener('click', async () => {
    if (!(await confirmDialog('Delete every cached image? LAN hosts will pull them from Docker Hub again.', 'Clear cache'))) return;
    const repos = await run(clearAll, () => ctx.api.clearCache(), 'Cache cleared.');
    if (repos) render(repos);
  });
  change.addEventListener('click', async () => {
    const current = ctx.state().settings.cachePath;
    const picked = (await run(change, () => ctx.api.pickFolder())) ?? (await browseForFolder(ctx.api, current));
    if (!picked || picked === current) return;
    const check = await run(change, () => ctx.api.checkCachePath(picked));
    if (!check) return;
    if (!check.ok) return notify(check.message, 'error');
    offerMove(check.path, check.message, check.holdsCache);
  });

  function offerMove(path: string, message: string, holdsCache: boolean): void {
    const choose = (mode: CacheMoveMode, button: HTMLButtonElement): void => {
      void run(button, () => ctx.api.changeCachePath(path, mode), `The cache is now in ${path}.`).then((s) => {
        if (!s) return;
        moveChoice.hidden = true;
        ctx.apply(s);
        void load();
      });
    };
    const move = h('button', { type: 'button', class: 'primary', text: 'Move the cache there' });
    const fresh = h('button', { type: 'button', text: holdsCache ? 'Use the cache already there' : 'Start empty there' });
    const cancel = h('button', { type: 'button', text: 'Cancel' });
    move.addEventListener('click', () => choose('move', move));
    fresh.addEventListener('click', () => choose('empty', fresh));
    cancel.addEventListener('click', () => {
      moveChoice.hidden = true;
    });
    moveChoice.replaceChildren(h('h3', { text: `New cache folder: ${path}` }), h('p', { text: message }), h('div', { class: 'row' }, move, fresh, cancel));
    moveChoice.hidden = false;
    move.focus();
  }

  function render(repos: CachedRepository[]): void {
    clear(table);
    const images = repos.flatMap((repo) => repo.images);
    // Unique bytes only: a blob two images share would otherwise count twice.
    const kept = images.filter((i) => i.pinned).reduce((sum, i) => sum + i.uniqueBytes, 0);
    const rest = images.filter((i) => !i.pinned).reduce((sum, i) => sum + i.uniqueBytes, 0);
    keptTotals.textContent = images.length ? `Pinned or kept warm: ${formatBytes(kept)} of their own; the rest: ${formatBytes(rest)} of their own (the size cap never removes pinned images).` : '';
    void ctx.api.expiryPreview().then(showExpiry, () => (expiryTotals.textContent = ''));
    empty.hidden = repos.length > 0;
    table.hidden = repos.length === 0;
    table.append(
      h('caption', { class: 'offscreen', text: 'Cached images' }),
      h('thead', {}, h('tr', {}, ...['Image', 'Size', 'Unique / shared', 'Platforms', 'Last pull', 'Pinned', 'Keep warm', ''].map((t) => h('th', { text: t, attrs: { scope: 'col' } })))),
    );
    const body = h('tbody');
    // Grouped by registry, each image named as clients pull it (docker.io/library/nginx).
    const sorted = [...repos].sort((a, b) => a.registry.localeCompare(b.registry) || a.repository.localeCompare(b.repository));
    let group: string | undefined;
    for (const repo of sorted) {
      if (repo.registry !== group) {
        group = repo.registry;
        body.append(h('tr', { class: 'registry-group' }, h('th', { text: repo.registry, attrs: { scope: 'rowgroup', colspan: '4' } })));
      }
      const name = `${repo.registry}/${repo.repository}`;
      const delRepo = h('button', { type: 'button', class: 'danger small', text: 'Delete all tags', attrs: { 'aria-label': `Delete ${name}` } });
      delRepo.addEventListener('click', () => void remove(delRepo, repo, undefined, name));
      body.append(
        h('tr', { class: 'repo' }, h('th', { text: name, attrs: { scope: 'row' } }), h('td', { class: 'num', text: formatBytes(repo.bytes) }), h('td'), h('td'), h('td', { text: formatWhen(repo.lastPulled) }), h('td'), h('td', {}, delRepo)),
      );
      for (const image of repo.images) {
        const label = `${name}:${image.reference}`;
        const del = h('button', { type: 'button', class: 'small', text: 'Delete', attrs: { 'aria-label': `Delete ${label}` } });
        del.addEventListener('click', () => void remove(del, repo, image.reference, label));
        body.append(
          h(
            'tr',
            { class: 'image' },
            h('td', { class: 'indent', text: image.reference.length > 40 ? image.reference.slice(0, 19) + '…' : image.reference, title: image.digest }),
            h('td', { class: 'num', text: formatBytes(image.bytes) }),
            h('td', { class: 'num', text: `${formatBytes(image.uniqueBytes)} / ${formatBytes(image.sharedBytes)}` }),
            h('td', { text: image.platforms.join(', ') || '—' }),
            h('td', { class: 'last-pull', text: `${formatWhen(image.lastPulled)}${image.pulledByHosts ? ` by ${image.pulledByHosts} host${image.pulledByHosts === 1 ? '' : 's'}` : ''}` }),
            h('td', { class: 'kept' }, pinToggle(repo, image, label)),
            h('td', { class: 'keep-warm' }, ...keepToggle(repo, image, label)),
            h('td', {}, del),
          ),
        );
      }
    }
    table.append(body);
  }

  /** Keep-warm images are pinned by their list; the owner's own pin is a toggle. */
  function pinToggle(repo: CachedRepository, image: CachedRepository['images'][number], label: string): HTMLElement {
    if (image.keptWarm) return h('span', { class: 'pin-state', text: 'Kept warm' });
    const toggle = h('button', { type: 'button', class: 'small pin', text: image.pinned ? 'Pinned' : 'Pin', attrs: { 'aria-pressed': String(image.pinned), 'aria-label': `${image.pinned ? 'Unpin' : 'Pin'} ${label}` } });
    toggle.addEventListener('click', () => {
      void run(toggle, () => ctx.api.pinCachedImage(repo.registry, repo.repository, image.reference, !image.pinned), image.pinned ? `Unpinned ${label}.` : `Pinned ${label}: the size cap and expiry keep it.`).then((repos) => repos && render(repos));
    });
    return toggle;
  }

  /** Only tags can be kept warm (a digest never changes); a kept image also gets "Refresh now". */
  function keepToggle(repo: CachedRepository, image: CachedRepository['images'][number], label: string): HTMLElement[] {
    if (image.reference.includes(':')) return [];
    const name = `${repo.registry}/${repo.repository}:${image.reference}`;
    const toggle = h('button', { type: 'button', class: 'small keep', text: image.keptWarm ? 'Kept warm' : 'Keep warm', attrs: { 'aria-pressed': String(image.keptWarm), 'aria-label': `${image.keptWarm ? 'Stop keeping' : 'Keep'} ${label} warm` } });
    toggle.addEventListener('click', () => {
      void run(toggle, () => ctx.api.keepImageWarm(name, !image.keptWarm), image.keptWarm ? `${label} is no longer kept warm.` : `${label} is kept warm: pinned and refreshed on the schedule.`).then((state) => {
        if (state) ctx.apply(state);
        void load();
      });
    });
    if (!image.keptWarm) return [toggle];
    const refreshOne = h('button', { type: 'button', class: 'small', text: 'Refresh now', attrs: { 'aria-label': `Refresh ${label} now` } });
    refreshOne.addEventListener('click', () => void run(refreshOne, () => ctx.api.refreshKeptImages(name)).then((results) => {
      const [result] = results ?? [];
      if (result) notify(`${label}: ${result.result}${result.detail ? ` — ${result.detail}` : ''}`, result.result === 'failed' ? 'error' : 'info');
      void ctx.api.getState().then(ctx.apply);
    }));
    return [toggle, refreshOne];
  }

  function showExpiry(preview: ExpiryPreview): void {
    if (preview.expireAfterMs === null) expiryTotals.textContent = 'Expiry is off: nothing is removed for age.';
    else expiryTotals.textContent = `Expiry after ${Math.round(preview.expireAfterMs / 86_400_000)} days would remove ${preview.images} image(s), ${formatBytes(preview.bytes)} (never pinned or kept ones, never a layer another image uses).`;
  }

  async function remove(button: HTMLButtonElement, repo: CachedRepository, reference: string | undefined, label: string): Promise<void> {
    if (!(await confirmDialog(`Delete ${label} from the cache?`, 'Delete'))) return;
    const repos = await run(button, () => ctx.api.deleteCachedImage(repo.registry, repo.repository, reference), `Deleted ${label}.`);
    if (repos) render(repos);
  }

  async function load(): Promise<void> {
    const repos = await run(refresh, () => ctx.api.listCache());
    if (repos) render(repos);
  }

  const element = h(
    'div',
    { class: 'view cache' },
    h('header', { class: 'view-head' }, h('h2', { text: 'Cache' }), refresh, clearAll),
    h('section', { class: 'card' }, h('h3', { text: 'Folder' }), h('div', { class: 'row' }, pathText, change, openFolder), usage, moveChoice),
    h('section', { class: 'card' }, h('div', { class: 'row' }, field('Size cap (GB, empty for none)', capInput), capSave)),
    h('section', { class: 'card' }, keptTotals, expiryTotals, empty, table),
    keepWarm.element,
    prefetch.element,
  );

  return {
    id: 'cache',
    title: 'Cache',
    element,
    update(state: AppState) {
      pathText.textContent = state.settings.cachePath;
      const { bytes, blobs, maxBytes } = state.mirror.cache;
      usage.textContent = `${formatBytes(bytes)} in ${blobs} blobs${maxBytes ? ` of a ${formatBytes(maxBytes)} cap` : ''}.`;
      if (document.activeElement !== capInput) capInput.value = state.settings.maxSizeBytes ? String(state.settings.maxSizeBytes / gb) : '';
      keepWarm.update(state);
      prefetch.update(state);
    },
    shown: () => void load(),
  };
}
