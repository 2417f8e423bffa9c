/** DOM helpers of the page: one movie row, lists of them, messages. */
import type { Movie } from './api.js';
import { starRating } from './stars.js';

export interface MovieActions {
  /** Stars the visitor gave the movie (0: none). */
  starsOf(movieId: number): number;
  rate(movie: Movie, stars: number): void;
  open(movie: Movie): void;
}

/** `document.getElementById` that fails loudly when the page's HTML lacks the element. */
export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** `Adventure|Animation` as `Adventure · Animation`. */
export function genreText(genre: string): string {
  return genre === '(no genres listed)' ? '' : genre.split('|').join(' · ');
}

/**
 * One movie: its title as a button that opens it (similar movies), its genres, and a star rating.
 * @example list.append(movieRow(movie, actions));
 */
export function movieRow(movie: Movie, actions: MovieActions): HTMLLIElement {
  const row = document.createElement('li');
  row.className = 'movie';
  row.dataset.id = String(movie.id);
  const title = document.createElement('button');
  title.type = 'button';
  title.className = 'title';
  title.textContent = movie.title;
  title.addEventListener('click', () => actions.open(movie));
  const genre = document.createElement('span');
  genre.className = 'genre';
  genre.textContent = genreText(movie.genre);
  const info = el('div', '', 'info');
  info.append(title, genre);
  row.append(
    info,
    starRating(movie.title, actions.starsOf(movie.id), (s) => actions.rate(movie, s)),
  );
  return row;
}

/** Replaces a list's rows with `movies` (or one line saying it is empty). */
export function fillList(
  list: HTMLElement,
  movies: readonly Movie[],
  actions: MovieActions,
  empty = 'Nothing to show yet.',
): void {
  list.replaceChildren(...movies.map((movie) => movieRow(movie, actions)));
  if (movies.length === 0) {
    const note = document.createElement('li');
    note.className = 'note';
    note.textContent = empty;
    list.append(note);
  }
}

/** An element with text, in one call. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text = '',
  className = '',
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text) element.textContent = text;
  if (className) element.className = className;
  return element;
}
