/**
 * The "in this browser" panel: every model the API offers side by side, each ranking the picks with TF.js in
 * the page, and which backend TF.js chose.
 */
import { api, type Movie, type WebModels } from './api.js';
import { chooseBackend } from './backend.js';
import { loadBrowserModel, rankInPage, type BrowserModel } from './browser-models.js';
import { byId, el, fillList, type MovieActions } from './view.js';

const NAMES: Record<string, string> = {
  als: 'ALS (matrix factorisation)',
  itemknn: 'Item-kNN',
  neural: 'Neural (embeddings)',
  ease: 'EASE',
  popularity: 'Popularity',
};

let backend: Promise<string> | undefined;
let catalogue: Promise<WebModels> | undefined;
const loaded = new Map<string, Promise<BrowserModel>>();

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;
}

/** Chooses the backend once and says which one the page runs on. */
function ensureBackend(): Promise<string> {
  backend ??= chooseBackend(new URLSearchParams(location.search).get('backend')).then(({ name, skipped }) => {
    const out = byId('backend');
    out.textContent = name;
    out.title = skipped.map((s) => `${s.name}: ${s.reason}`).join('\n');
    byId('backend-note').textContent = skipped.length
      ? ` (skipped: ${skipped.map((s) => s.name).join(', ')})`
      : '';
    return name;
  });
  return backend;
}

/**
 * Ranks the picks with every offered model into `#browser-models`, one column per model. `stale()` turns
 * true when a newer refresh started: this one then stops writing.
 * @example await renderInBrowser([1], new Set(), 10, 0, actions, () => false);
 */
export async function renderInBrowser(
  picks: readonly number[],
  hidden: ReadonlySet<number>,
  k: number,
  diversity: number,
  actions: MovieActions,
  stale: () => boolean,
): Promise<void> {
  await ensureBackend();
  // A failed load is forgotten, so the next refresh tries again instead of failing until a page reload.
  catalogue ??= api.webModels().catch((error: unknown) => {
    catalogue = undefined;
    throw error;
  });
  const { models } = await catalogue;
  const container = byId('browser-models');
  if (container.childElementCount !== models.length) {
    container.replaceChildren(
      ...models.map((entry) => {
        const column = el('section', '', 'model-column');
        column.dataset.kind = entry.kind;
        const heading = el('h3', NAMES[entry.kind] ?? entry.kind);
        if (entry.served) heading.append(' ', el('span', 'served by the API', 'badge'));
        const meta = el('p', `${entry.version} · ${megabytes(entry.bytes)}`, 'meta');
        const list = el('ol', '', 'movies');
        column.append(heading, meta, list);
        if (!entry.offered) list.replaceWith(el('p', entry.reason ?? 'not offered in the page', 'note'));
        return column;
      }),
    );
  }
  if (models.length === 0) {
    container.replaceChildren(el('p', 'No model artifacts to load (recsys train --model als).', 'note'));
  }
  await Promise.all(
    models
      .filter((entry) => entry.offered)
      .map(async (entry) => {
        const column = container.querySelector<HTMLElement>(`[data-kind="${entry.kind}"]`);
        const list = column?.querySelector('ol');
        if (!column || !list) return;
        let promise = loaded.get(entry.kind);
        if (!promise) {
          list.replaceChildren(el('li', `Loading ${megabytes(entry.bytes)}…`, 'note'));
          promise = loadBrowserModel(entry).catch((error: unknown) => {
            loaded.delete(entry.kind);
            throw error;
          });
          loaded.set(entry.kind, promise);
        }
        const model = await promise;
        const started = performance.now();
        // As deep as the API answers (k <= 100), so the page's list is the route's.
        const ids = (await rankInPage(model, picks, Math.min(100, k + hidden.size), diversity)).filter(
          (id) => !hidden.has(id),
        );
        if (stale()) return;
        const movies = ids
          .slice(0, k)
          .map((id) => model.movies.get(id))
          .filter((m): m is Movie => m !== undefined);
        fillList(list, movies, actions);
        column.dataset.state = 'ranked';
        column.dataset.picks = picks.join(',');
        column.dataset.diversity = String(diversity);
        const meta = column.querySelector('.meta');
        if (meta) {
          meta.textContent = `${entry.version} · ${megabytes(entry.bytes)} · loaded in ${model.loadSeconds.toFixed(1)} s · ranked in ${Math.round(performance.now() - started)} ms`;
        }
      }),
  );
}
