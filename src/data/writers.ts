import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '../core/errors.js';
import type { SourceFormat } from './catalog.js';
import { csvField } from './readers/csv.js';
import { CSV_RATINGS_HEADER } from './readers/ratings.js';
import { ML1M_OCCUPATIONS } from './readers/users.js';
import { type DatasetTables, genreString, type MovieRow, type RatingsTable } from './schema.js';

/**
 * Writes tables back out in a MovieLens source layout, byte-compatible with what the readers accept: the
 * synthetic generator uses it to make releases of any size (e.g. ml-25m-shaped CSVs) and the ETL benchmark
 * to make its input. ml-100k `u.item` and `.dat` movie files are latin-1, CSV is UTF-8.
 */

/** ml-100k's 19 genres in `u.genre` order; genres beyond these are appended to `u.genre`. */
export const ML100K_GENRES: readonly string[] = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];

export interface WriteMovieLensOptions {
  /** Line ending of every file (default '\n'; ml-latest-small's CSVs use '\r\n'). */
  lineEnding?: '\n' | '\r\n';
}

const ROWS_PER_BLOCK = 65_536;

/**
 * Writes `tables` into `dir` as an extracted release of the given layout: ml-100k (`u.data`, `u.item`,
 * `u.genre`, `u.user`, `u.occupation`), dat (`ratings.dat`, `movies.dat`, `users.dat`) or csv (`ratings.csv`,
 * `movies.csv`; CSV releases have no users file). Each file is written to a temp name and renamed.
 * @example await writeMovieLensFiles('csv', tables, '/tmp/ml-25m-like', { lineEnding: '\r\n' });
 */
export async function writeMovieLensFiles(
  format: SourceFormat,
  tables: DatasetTables,
  dir: string,
  options: WriteMovieLensOptions = {},
): Promise<void> {
  const eol = options.lineEnding ?? '\n';
  const { ratings, movies, users } = tables;
  if (!ratings.rating || !ratings.timestamp) {
    throw new ValidationError('ratings', 'source layouts need a rating and a timestamp on every row');
  }
  await fs.mkdir(dir, { recursive: true });
  const at = (name: string): string => path.join(dir, name);
  if (format === 'ml-100k') {
    requireWholeStars(ratings, format);
    await writeLines(
      at('u.data'),
      ratingLines(ratings, '\t', (r) => String(r), eol),
    );
    const genres = [...ML100K_GENRES, ...extraGenres(movies, ML100K_GENRES)];
    await writeLines(at('u.genre'), [`${genres.map((g, i) => `${g}|${i}`).join(eol)}${eol}${eol}`], 'latin1');
    const index = new Map(genres.map((g, i) => [g, i]));
    const itemLines = movies.map((m) => {
      const flags = new Array<string>(genres.length).fill('0');
      for (const g of m.genres) flags[index.get(g) as number] = '1';
      return `${m.movieId}|${latin1(m.title, m.movieId)}||||${flags.join('|')}${eol}`;
    });
    await writeLines(at('u.item'), [itemLines.join('')], 'latin1');
    if (users) {
      const text = users.map(
        (u) => `${u.userId}|${u.age ?? ''}|${u.gender ?? ''}|${u.occupation ?? ''}|${u.zip ?? ''}${eol}`,
      );
      await writeLines(at('u.user'), [text.join('')], 'latin1');
      const occupations = [
        ...new Set(users.map((u) => u.occupation).filter((o): o is string => o !== null)),
      ].sort();
      await writeLines(at('u.occupation'), [occupations.map((o) => `${o}${eol}`).join('')], 'latin1');
    }
  } else if (format === 'dat') {
    await writeLines(
      at('ratings.dat'),
      ratingLines(ratings, '::', (r) => String(r), eol),
    );
    const text = movies.map((m) => `${m.movieId}::${latin1(m.title, m.movieId)}::${genreString(m)}${eol}`);
    await writeLines(at('movies.dat'), [text.join('')], 'latin1');
    if (users) {
      const lines = users.map((u) => {
        const code = u.occupation === null ? '' : ML1M_OCCUPATIONS.indexOf(u.occupation);
        if (code === -1)
          throw new ValidationError('users.occupation', `'${u.occupation}' has no ml-1m occupation code`);
        return `${u.userId}::${u.gender ?? ''}::${u.age ?? ''}::${code}::${u.zip ?? ''}${eol}`;
      });
      await writeLines(at('users.dat'), [lines.join('')], 'latin1');
    }
  } else {
    await writeLines(at('ratings.csv'), [
      `${CSV_RATINGS_HEADER}${eol}`,
      ...ratingLines(ratings, ',', (r) => r.toFixed(1), eol),
    ]);
    const text = movies.map((m) => `${m.movieId},${csvField(m.title)},${csvField(genreString(m))}${eol}`);
    await writeLines(at('movies.csv'), [`movieId,title,genres${eol}`, text.join('')]);
  }
}

function requireWholeStars(ratings: RatingsTable, format: string): void {
  const values = ratings.rating as Float32Array;
  for (let i = 0; i < ratings.length; i++) {
    const r = values[i] as number;
    if (r !== Math.round(r))
      throw new ValidationError('ratings.rating', `the ${format} layout holds whole stars; row ${i} is ${r}`);
  }
}

function extraGenres(movies: readonly MovieRow[], known: readonly string[]): string[] {
  const seen = new Set(known);
  const extra: string[] = [];
  for (const m of movies) {
    for (const g of m.genres) {
      if (!seen.has(g)) {
        seen.add(g);
        extra.push(g);
      }
    }
  }
  return extra;
}

/** Titles in latin-1 files must be latin-1: refuse what would be silently mangled. */
function latin1(title: string, movieId: number): string {
  // eslint-disable-next-line no-control-regex
  if (/[^\u0000-\u00ff]/.test(title)) {
    throw new ValidationError(
      'movies.title',
      `movie ${movieId}'s title has characters outside latin-1: '${title}'`,
    );
  }
  return title;
}

/** Ratings as text blocks of ROWS_PER_BLOCK lines, built lazily so big tables never become one string. */
function* ratingLines(
  ratings: RatingsTable,
  sep: string,
  formatRating: (r: number) => string,
  eol: string,
): Generator<string> {
  const { userId, movieId } = ratings;
  const rating = ratings.rating as Float32Array;
  const timestamp = ratings.timestamp as Float64Array;
  for (let start = 0; start < ratings.length; start += ROWS_PER_BLOCK) {
    const end = Math.min(ratings.length, start + ROWS_PER_BLOCK);
    let block = '';
    for (let i = start; i < end; i++) {
      block += `${userId[i]}${sep}${movieId[i]}${sep}${formatRating(rating[i] as number)}${sep}${timestamp[i]}${eol}`;
    }
    yield block;
  }
}

async function writeLines(
  file: string,
  blocks: Iterable<string>,
  encoding: 'utf8' | 'latin1' = 'utf8',
): Promise<void> {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(temp, 'w');
  try {
    for (const block of blocks) await handle.write(Buffer.from(block, encoding));
    await handle.close();
    await fs.rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true });
    throw error;
  }
}
