import type { AppState, DockmirrorApi } from '../main/shared/contract.js';

/** What every view gets: the API and the latest app state, updated from calls and the event stream. */
export interface Context {
  api: DockmirrorApi;
  state(): AppState;
  /** Apply a state the API returned, so every view shows it at once. */
  apply(state: AppState): void;
}

export interface View {
  id: string;
  title: string;
  element: HTMLElement;
  update(state: AppState): void;
  /** Called each time the view is shown, e.g. to refresh lists that have no push updates. */
  shown?(): void;
}
