/**
 * The recsys web page (issue 15.4): pick or rate movies, see recommendations at once (from the API's
 * cold-start route, or the user route when a token and user are set), open a movie for its similar movies,
 * move the diversity slider, or rank the picks in the page itself with TF.js (in-browser.ts).
 */
import { api, ApiError, type Movie } from './api.js';
import { renderInBrowser } from './in-browser.js';
import { syncStars } from './stars.js';
import { byId, el, fillList, genreText, type MovieActions } from './view.js';

const K = 10;
/** The cold-start route folds in at most 50 picks: the page sends the most recent 50. */
const MAX_PICKS = 50;
/** The deepest list the API answers. */
const MAX_K = 100;
/** Stars at or above which a rating is a pick the cold-start route folds in (the training threshold). */
const LIKED = 4;
const STARTER_GENRES = ['Animation', 'Comedy', 'Action', 'Sci-Fi', 'Drama', 'Romance'];
const STARTERS_PER_GENRE = 4;
const STORAGE = { token: 'recsys.token', user: 'recsys.user' };

const rated = new Map<number, { movie: Movie; stars: number }>();
/** Ratings stored through the API (account mode): they can be changed, not removed (the API has no delete). */
const stored = new Set<number>();
let mode: 'server' | 'browser' = 'server';
let diversity = 0;
let generation = 0;

const settings = {
  get token(): string {
    return localStorage.getItem(STORAGE.token) ?? '';
  },
  get user(): number | null {
    const value = Number(localStorage.getItem(STORAGE.user));
    return Number.isInteger(value) && value > 0 ? value : null;
  },
};
const accountMode = (): boolean => settings.token !== '' && settings.user !== null;

/** Says in the Settings summary where ratings go. */
function showAccount(): void {
  byId('account').textContent = accountMode()
    ? `· ratings stored for user ${settings.user}`
    : '· ratings stay in this page';
}

const actions: MovieActions = {
  starsOf: (id) => rated.get(id)?.stars ?? 0,
  rate: (movie, stars) => void rate(movie, stars),
  open: (movie) => void openMovie(movie),
};

function status(text: string): void {
  byId('status').textContent = text;
}

function showError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const box = byId('error');
  box.textContent = message;
  box.hidden = message === '';
}

const liked = (): number[] =>
  [...rated.values()]
    .filter((r) => r.stars >= LIKED)
    .map((r) => r.movie.id)
    .slice(-MAX_PICKS);
const disliked = (): Set<number> =>
  new Set([...rated.values()].filter((r) => r.stars < LIKED).map((r) => r.movie.id));

async function rate(movie: Movie, stars: number): Promise<void> {
  if (stars === 0 && accountMode() && stored.has(movie.id)) {
    syncStars(document, movie.id, rated.get(movie.id)?.stars ?? 0);
    showError(`Your rating of ${movie.title} is stored: change its stars instead (the API has no delete).`);
    return;
  }
  if (stars === 0) rated.delete(movie.id);
  else rated.set(movie.id, { movie, stars });
  syncStars(document, movie.id, stars);
  renderPicks();
  if (accountMode() && stars > 0) {
    try {
      await api.rate(settings.user as number, movie.id, stars, settings.token);
      stored.add(movie.id);
      renderPicks();
    } catch (error) {
      showError(error);
      return;
    }
  }
  await refresh();
}

function renderPicks(): void {
  const list = byId('picks');
  list.replaceChildren(
    ...[...rated.values()].map(({ movie, stars }) => {
      const row = el('li', '', 'pick');
      row.dataset.id = String(movie.id);
      row.append(el('span', `${movie.title} `), el('span', '★'.repeat(stars), 'pick-stars'));
      if (!(accountMode() && stored.has(movie.id))) {
        const remove = el('button', '×', 'remove');
        remove.type = 'button';
        remove.setAttribute('aria-label', `Remove ${movie.title}`);
        remove.addEventListener('click', () => void rate(movie, 0));
        row.append(remove);
      }
      return row;
    }),
  );
  byId('picks-empty').hidden = rated.size > 0;
  document.querySelectorAll<HTMLButtonElement>('button.like').forEach((button) => {
    button.setAttribute('aria-pressed', String((rated.get(Number(button.dataset.id))?.stars ?? 0) >= LIKED));
  });
}

/** Recomputes the recommendations for the current picks, mode and diversity; a newer call wins. */
async function refresh(): Promise<void> {
  const mine = ++generation;
  const stale = (): boolean => mine !== generation;
  const picks = liked();
  const hidden = disliked();
  byId('recs-title').textContent = picks.length
    ? `Because you liked ${picks.length} movie${picks.length > 1 ? 's' : ''}`
    : 'Popular with everyone: like a movie to make it yours';
  status('Updating recommendations…');
  try {
    showError('');
    if (mode === 'server') {
      const answer = accountMode()
        ? await api.userRecommendations(settings.user as number, K, diversity)
        : await api.coldStart({ movies: picks, k: Math.min(MAX_K, K + hidden.size), diversity });
      if (stale()) return;
      const list = byId('rec-list');
      fillList(list, answer.movies.filter((m) => !hidden.has(m.id)).slice(0, K), actions);
      list.dataset.picks = picks.join(',');
      list.dataset.diversity = String(diversity);
    } else {
      await renderInBrowser(picks, hidden, K, diversity, actions, stale);
      if (stale()) return;
    }
    status(mode === 'server' ? 'Recommendations from the API.' : 'Ranked in this browser.');
  } catch (error) {
    if (stale()) return;
    status('');
    showError(error);
  }
}

async function openMovie(movie: Movie): Promise<void> {
  const dialog = byId<HTMLDialogElement>('movie-dialog');
  byId('movie-title').textContent = movie.title;
  byId('movie-genre').textContent = genreText(movie.genre);
  const list = byId('similar-list');
  list.replaceChildren(el('li', 'Loading similar movies…', 'note'));
  if (!dialog.open) dialog.showModal();
  try {
    const { movies } = await api.similar(movie.id, K);
    fillList(list, movies, actions, 'No similar movies: too few people rated this one.');
  } catch (error) {
    list.replaceChildren(el('li', error instanceof Error ? error.message : String(error), 'note'));
  }
}

async function loadStarters(): Promise<void> {
  const container = byId('starters');
  const groups = await Promise.all(
    STARTER_GENRES.map((genre) =>
      api.coldStart({ genres: [genre], k: 12 }).then(
        ({ movies }) => ({ genre, movies }),
        (error: unknown) => (error instanceof ApiError ? null : Promise.reject(error)),
      ),
    ),
  );
  if (groups.every((g) => g === null)) {
    container.replaceChildren(
      el('p', 'No well-known movies to show yet: the API has no model loaded.', 'note'),
    );
    return;
  }
  // Each movie once, in the first group that has it: the most rated of a genre are often the same few films.
  const shown = new Set<number>();
  container.replaceChildren(
    ...groups
      .filter((g): g is { genre: string; movies: Movie[] } => g !== null)
      .map(({ genre, movies }) => {
        const fresh = movies.filter((m) => !shown.has(m.id)).slice(0, STARTERS_PER_GENRE);
        for (const movie of fresh) shown.add(movie.id);
        return { genre, movies: fresh };
      })
      .filter(({ movies }) => movies.length > 0)
      .map(({ genre, movies }) => {
        const group = el('section', '', 'starter');
        const buttons = el('div', '', 'likes');
        for (const movie of movies) {
          const button = el('button', movie.title, 'like');
          button.type = 'button';
          button.dataset.id = String(movie.id);
          button.setAttribute('aria-pressed', 'false');
          button.addEventListener('click', () => {
            const on = (rated.get(movie.id)?.stars ?? 0) >= LIKED;
            void rate(movie, on ? 0 : 5);
          });
          buttons.append(button);
        }
        group.append(el('h3', genre), buttons);
        return group;
      }),
  );
}

function wireSearch(): void {
  const input = byId<HTMLInputElement>('search');
  const list = byId('search-results');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  const run = async (): Promise<void> => {
    const text = input.value.trim();
    const mine = ++asked;
    if (text === '') {
      list.replaceChildren();
      return;
    }
    try {
      const { movies } = await api.search(text);
      if (mine === asked) fillList(list, movies, actions, `No movie title contains "${text}".`);
    } catch (error) {
      showError(error);
    }
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(), 150);
  });
  byId<HTMLFormElement>('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    clearTimeout(timer);
    void run();
  });
}

function wireControls(): void {
  const slider = byId<HTMLInputElement>('diversity');
  slider.addEventListener('change', () => {
    diversity = Number(slider.value);
    byId('diversity-value').textContent = slider.value;
    void refresh();
  });
  slider.addEventListener('input', () => (byId('diversity-value').textContent = slider.value));
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="source"]')) {
    radio.addEventListener('change', () => {
      mode = radio.value === 'browser' ? 'browser' : 'server';
      byId('server-panel').hidden = mode !== 'server';
      byId('browser-panel').hidden = mode !== 'browser';
      void refresh();
    });
  }
  byId('movie-close').addEventListener('click', () => byId<HTMLDialogElement>('movie-dialog').close());
  const token = byId<HTMLInputElement>('token');
  const user = byId<HTMLInputElement>('user');
  token.value = settings.token;
  user.value = settings.user === null ? '' : String(settings.user);
  byId<HTMLFormElement>('settings-form').addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.setItem(STORAGE.token, token.value.trim());
    localStorage.setItem(STORAGE.user, user.value.trim());
    showAccount();
    void reloadAccount();
  });
  byId('new-user').addEventListener('click', () => {
    const value = token.value.trim();
    if (!value) return showError('Enter the API token first (data/api-token on the server).');
    void api.createUser(value).then(({ id }) => {
      user.value = String(id);
      byId<HTMLFormElement>('settings-form').requestSubmit();
    }, showError);
  });
}

/** In account mode, shows the user's stored ratings (the newest 50) as the page's ratings. */
async function loadStoredRatings(): Promise<void> {
  rated.clear();
  stored.clear();
  if (accountMode()) {
    const { ratings } = await api.ratings(settings.user as number, MAX_PICKS);
    const movies = await Promise.all(ratings.map((r) => api.movie(r.movieId)));
    // Oldest first, as the page adds ratings: the newest are the last picks kept.
    for (let i = ratings.length - 1; i >= 0; i--) {
      const rating = ratings[i];
      const movie = movies[i];
      if (!rating || !movie) continue;
      stored.add(rating.movieId);
      rated.set(rating.movieId, {
        movie,
        stars: rating.rating === null ? 5 : Math.max(1, Math.floor(rating.rating)),
      });
    }
  }
  renderPicks();
  for (const [id, { stars }] of rated) syncStars(document, id, stars);
}

/** After the account changed: its stored ratings, then its recommendations. */
async function reloadAccount(): Promise<void> {
  try {
    await loadStoredRatings();
  } catch (error) {
    showError(error);
  }
  await refresh();
}

wireSearch();
wireControls();
showAccount();
renderPicks();
void loadStarters().catch(showError);
void reloadAccount();
