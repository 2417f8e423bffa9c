import type { Rng } from '../core/rng.js';
import type { MovieRow, UserRow } from '../data/schema.js';
import { ML100K_GENRES } from '../data/writers.js';

/**
 * Movies and users of the synthetic generator: MovieLens-looking rows that every source format can hold
 * (latin-1 characters only, ml-1m's genre names, ages and occupations valid in both ml-100k and ml-1m).
 */

/** ml-1m's 18 genres: ml-100k's `u.genre` list less `unknown`, in MovieLens's order. */
export const SYNTHETIC_GENRES: readonly string[] = ML100K_GENRES.filter((genre) => genre !== 'unknown');

const ADJECTIVES = words(`
  Silent Broken Golden Last Hidden Crimson Lonely Electric Frozen Wild Little Dark Secret Eternal Burning
  Lost Midnight Shallow Iron Velvet Crazy Blue Brave Distant Strange Quiet Savage Sweet Bitter Fatal
`);
const NOUNS = words(`
  River Heart City Storm Road Garden Mirror Kingdom Night Summer Island Dream Shadow Train Letter
  Horizon Empire Winter Stranger Game Promise Machine Harbor Witness Circus Desert Angel Thief Café Señorita
`);
// Title shapes MovieLens uses: trailing articles ("Matrix, The"), foreign articles, quotes, commas, colons.
const TEMPLATES: readonly ((a: string, n: string, m: string) => string)[] = [
  (a, n) => `${a} ${n}`,
  (a, n) => `${a} ${n}, The`,
  (_a, n, m) => `${n} of the ${m}`,
  (a, n) => `${n}s, Les (${a} ${n}s)`,
  (_a, n, m) => `${n}, ${m} and Me`,
  (a, n) => `"${a}" ${n}`,
  (a, n, m) => `${a} ${n}: Return of the ${m}`,
  (a, n) => `${n} ${a}`,
];

// ml-1m's age buckets (valid ages in ml-100k too) and the occupations both files name identically.
const AGES = [1, 18, 25, 35, 45, 50, 56];
const AGE_WEIGHTS = [0.04, 0.18, 0.35, 0.2, 0.09, 0.08, 0.06];
const OCCUPATIONS = [
  'other',
  'artist',
  'homemaker',
  'lawyer',
  'programmer',
  'retired',
  'scientist',
  'writer',
];

/**
 * `n` movies with ascending ids that skip numbers now and then (as MovieLens's do), a title ending in the
 * year, and one to three genres in canonical order.
 */
export function syntheticMovies(n: number, rng: Rng): MovieRow[] {
  const movies: MovieRow[] = new Array<MovieRow>(n);
  let id = 0;
  for (let k = 0; k < n; k++) {
    id += rng.next() < 0.3 ? 2 + rng.int(8) : 1;
    const year = 2019 - Math.floor(100 * rng.next() * rng.next());
    const template = TEMPLATES[rng.int(TEMPLATES.length)] as (a: string, n: string, m: string) => string;
    const name = template(pick(ADJECTIVES, rng), pick(NOUNS, rng), pick(NOUNS, rng));
    const sequel = rng.next() < 0.05 ? ` ${2 + rng.int(3)}` : '';
    const genreCount = 1 + (rng.next() < 0.45 ? 1 + (rng.next() < 0.4 ? 1 : 0) : 0);
    const flags = new Set<number>();
    while (flags.size < genreCount) flags.add(rng.int(SYNTHETIC_GENRES.length));
    const genres = [...flags].sort((a, b) => a - b).map((g) => SYNTHETIC_GENRES[g] as string);
    movies[k] = { movieId: id, title: `${name}${sequel} (${year})`, year, genres };
  }
  return movies;
}

/** Users 1..n with ml-1m-like demographics and 5-digit zip codes. */
export function syntheticUsers(n: number, rng: Rng): UserRow[] {
  const users: UserRow[] = new Array<UserRow>(n);
  for (let k = 0; k < n; k++) {
    let r = rng.next();
    let a = 0;
    while (a < AGES.length - 1 && r >= (AGE_WEIGHTS[a] as number)) r -= AGE_WEIGHTS[a++] as number;
    users[k] = {
      userId: k + 1,
      gender: rng.next() < 0.72 ? 'M' : 'F',
      age: AGES[a] as number,
      occupation: pick(OCCUPATIONS, rng),
      zip: String(rng.int(100_000)).padStart(5, '0'),
    };
  }
  return users;
}

function words(text: string): string[] {
  return text.trim().split(/\s+/);
}

function pick<T>(list: readonly T[], rng: Rng): T {
  return list[rng.int(list.length)] as T;
}
