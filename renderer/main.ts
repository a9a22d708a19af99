// The window's entry: find the API (Electron preload or headless HTTP), build the views, keep
// them fed with the latest state, and switch between them from the sidebar or the URL hash.
import type { AppState } from '../main/shared/contract.js';
import { selectApi } from './api/select.js';
import { h } from './dom.js';
import { errorText, notifyRegion } from './notify.js';
import { cacheView } from './views/cache.js';
import { connectView } from './views/connect.js';
import { liveView } from './views/live-pulls.js';
import { overviewView } from './views/overview.js';
import { settingsView } from './views/settings.js';
import type { Context, View } from './view.js';

async function boot(root: HTMLElement): Promise<void> {
  const api = await selectApi();
  let state: AppState = await api.getState();
  const views: View[] = [];
  const ctx: Context = {
    api,
    state: () => state,
    apply(next) {
      state = next;
      for (const view of views) view.update(state);
    },
  };
  views.push(overviewView(ctx), liveView(ctx), cacheView(ctx), connectView(ctx), settingsView(ctx));

  const nav = h('nav', { class: 'sidebar', attrs: { 'aria-label': 'Sections' } }, h('p', { class: 'brand', text: 'Dockmirror' }));
  const main = h('main', { id: 'content', tabIndex: -1 });
  const links = new Map<string, HTMLAnchorElement>();
  for (const view of views) {
    const link = h('a', { text: view.title, id: `nav-${view.id}` });
    link.href = `#${view.id}`;
    links.set(view.id, link);
    nav.append(link);
    view.element.hidden = true;
    view.element.setAttribute('aria-labelledby', `nav-${view.id}`);
    main.append(view.element);
  }

  function show(): void {
    const id = location.hash.slice(1);
    const current = views.find((v) => v.id === id) ?? views[0]!;
    for (const view of views) {
      const active = view === current;
      view.element.hidden = !active;
      if (active) links.get(view.id)!.setAttribute('aria-current', 'page');
      else links.get(view.id)!.removeAttribute('aria-current');
    }
    document.title = `${current.title} — Dockmirror`;
    current.shown?.();
  }

  root.replaceChildren(h('a', { class: 'skip', text: 'Skip to content', attrs: { href: '#content' } }), nav, main, notifyRegion());
  root.querySelector<HTMLAnchorElement>('.skip')!.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  window.addEventListener('hashchange', show);
  api.onState((next) => ctx.apply(next));
  ctx.apply(state);
  show();
  root.dataset['ready'] = 'true';
}

const root = document.getElementById('app')!;
boot(root).catch((error: unknown) => {
  root.replaceChildren(h('div', { class: 'fatal', role: 'alert' }, h('h1', { text: 'Dockmirror could not open its window' }), h('p', { text: errorText(error) })));
});
