import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { CATALOG, type CatalogEntry } from '../../src/data/catalog.js';
import { readSourceDataset } from '../../src/data/readers/source.js';
import { ML1M_OCCUPATIONS } from '../../src/data/readers/users.js';
import type { DatasetTables, MovieRow, UserRow } from '../../src/data/schema.js';
import { writeMovieLensFiles } from '../../src/data/writers.js';
import { SHARED, tempDirs } from './fixtures.js';

const newDir = tempDirs();

/** A small dataset with the awkward cases: commas, quotes and latin-1 in titles, no genres, no year. */
function smallTables(options: { halfStars: boolean; withUsers: boolean }): DatasetTables {
  const rng = createRng(7);
  const titles = [
    'Misérables, Les (1995)',
    '"Great" Performances: Cats (1998)',
    'Toy Story (1995)',
    'Untitled',
    "Children's Hour, The (1961)",
  ];
  const genres = [['Drama', 'Musical'], ['Musical'], ['Animation', "Children's", 'Comedy'], [], ['Drama']];
  const movies: MovieRow[] = titles.map((title, i) => ({
    movieId: (i + 1) * 10,
    title,
    year: /\((\d{4})\)$/.exec(title) ? Number(/\((\d{4})\)$/.exec(title)?.[1]) : null,
    genres: genres[i] as string[],
  }));
  const userId: number[] = [];
  const movieId: number[] = [];
  const rating: number[] = [];
  const timestamp: number[] = [];
  for (let u = 1; u <= 6; u++) {
    for (const m of movies) {
      if (rng.next() < 0.3) continue;
      userId.push(u);
      movieId.push(m.movieId);
      rating.push(options.halfStars ? (rng.int(10) + 1) / 2 : rng.int(5) + 1);
      timestamp.push(978_300_000 + rng.int(10_000_000));
    }
  }
  const users: UserRow[] = [1, 2, 3, 4, 5, 6].map((u) => ({
    userId: u,
    gender: u % 2 === 0 ? 'F' : 'M',
    age: [1, 18, 25, 35, 45, 56][u - 1] as number,
    occupation: ML1M_OCCUPATIONS[u * 3] as string,
    zip: `0${u}123`,
  }));
  return {
    ratings: {
      length: userId.length,
      userId: Int32Array.from(userId),
      movieId: Int32Array.from(movieId),
      rating: Float32Array.from(rating),
      timestamp: Float64Array.from(timestamp),
    },
    movies,
    users: options.withUsers ? users : null,
  };
}

async function roundTrip(
  format: 'ml-100k' | 'dat' | 'csv',
  entry: CatalogEntry,
  tables: DatasetTables,
  eol?: '\r\n',
) {
  const dir = await newDir();
  await writeMovieLensFiles(format, tables, dir, eol ? { lineEnding: eol } : {});
  return { dir, read: (await readSourceDataset(entry, dir)).tables };
}

describe('writeMovieLensFiles -> readers', () => {
  it('ml-100k layout (u.data, u.item with genre flags, u.genre, u.user) reads back equal', async () => {
    const tables = smallTables({ halfStars: false, withUsers: true });
    const { read } = await roundTrip('ml-100k', CATALOG['ml-100k'], tables);
    expect(read).toEqual(tables);
  });

  it('dat layout with users (ml-1m) and with half stars and no users (ml-10m) reads back equal', async () => {
    const ml1m = smallTables({ halfStars: false, withUsers: true });
    expect((await roundTrip('dat', CATALOG['ml-1m'], ml1m)).read).toEqual(ml1m);
    const ml10m = smallTables({ halfStars: true, withUsers: false });
    expect((await roundTrip('dat', CATALOG['ml-10m'], ml10m)).read).toEqual(ml10m);
  });

  it('csv layout with CRLF line endings reads back equal, quoting titles as RFC 4180 says', async () => {
    const tables = smallTables({ halfStars: true, withUsers: false });
    const { dir, read } = await roundTrip('csv', CATALOG['ml-25m'], tables, '\r\n');
    expect(read).toEqual(tables);
    const movies = await fs.readFile(path.join(dir, 'movies.csv'), 'utf8');
    expect(movies).toContain('20,"""Great"" Performances: Cats (1998)",Musical\r\n');
    expect(movies).toContain('40,Untitled,(no genres listed)\r\n');
    const ratings = await fs.readFile(path.join(dir, 'ratings.csv'), 'utf8');
    expect(ratings.split('\r\n')[0]).toBe('userId,movieId,rating,timestamp');
    expect(ratings.split('\r\n')[1]).toMatch(/^\d+,\d+,\d\.\d,\d+$/);
  });

  it('reproduces real ml-100k ratings byte for byte', async () => {
    const source = await readSourceDataset(CATALOG['ml-100k'], path.join(SHARED, 'ml-100k'));
    const dir = await newDir();
    await writeMovieLensFiles('ml-100k', source.tables, dir);
    const written = await fs.readFile(path.join(dir, 'u.data'));
    expect(written.equals(await fs.readFile(path.join(SHARED, 'ml-100k', 'u.data')))).toBe(true);
  });

  it('refuses what a layout cannot hold: half stars in ml-100k, non-latin-1 titles, missing ratings', async () => {
    const half = smallTables({ halfStars: true, withUsers: false });
    (half.ratings.rating as Float32Array)[0] = 3.5;
    await expect(writeMovieLensFiles('ml-100k', half, await newDir())).rejects.toBeInstanceOf(
      ValidationError,
    );
    const cjk = smallTables({ halfStars: false, withUsers: false });
    (cjk.movies[0] as MovieRow).title = '千と千尋の神隠し (2001)';
    await expect(writeMovieLensFiles('dat', cjk, await newDir())).rejects.toThrow(/outside latin-1/);
    const implicit = { ...cjk, ratings: { ...cjk.ratings, rating: null } };
    await expect(writeMovieLensFiles('csv', implicit, await newDir())).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
