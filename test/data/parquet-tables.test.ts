import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRatingsParquet } from '../../src/data/parquet.js';
import {
  readMoviesParquet,
  readUsersParquet,
  toInt64Column,
  writeMoviesParquet,
  writeRatingsParquet,
  writeUsersParquet,
} from '../../src/data/parquet-tables.js';
import type { MovieRow, UserRow } from '../../src/data/schema.js';
import { tempDirs } from './fixtures.js';

const newDir = tempDirs();

describe('table Parquet files', () => {
  it('keep nulls, empty genre lists, non-ASCII text and 64-bit timestamps exactly', async () => {
    const dir = await newDir();
    const movies: MovieRow[] = [
      { movieId: 1, title: 'Misérables, Les (1995)', year: 1995, genres: ['Drama', 'Musical'] },
      { movieId: 2, title: '千と千尋の神隠し (2001)', year: 2001, genres: [] },
      { movieId: 3, title: '', year: null, genres: ['(odd) genre'] },
    ];
    const users: UserRow[] = [
      { userId: 1, gender: 'F', age: 1, occupation: 'K-12 student', zip: '48067' },
      { userId: 2, gender: null, age: null, occupation: null, zip: null },
      { userId: 3, gender: 'M', age: 56, occupation: 'other', zip: 'T8H1N' },
    ];
    const times = Float64Array.of(0, 874724710, 2 ** 40 + 3, 2 ** 53 - 1);
    await writeMoviesParquet(path.join(dir, 'movies.parquet'), movies);
    await writeUsersParquet(path.join(dir, 'users.parquet'), users);
    await writeRatingsParquet(path.join(dir, 'ratings.parquet'), {
      length: 4,
      userId: Int32Array.of(1, 1, 2, 2_147_483_647),
      movieId: Int32Array.of(5, 6, 5, 1),
      rating: Float32Array.of(0.5, 5, 3.5, 1),
      timestamp: times,
    });
    expect(await readMoviesParquet(path.join(dir, 'movies.parquet'))).toEqual(movies);
    expect(await readUsersParquet(path.join(dir, 'users.parquet'))).toEqual(users);
    const ratings = await readRatingsParquet(path.join(dir, 'ratings.parquet'));
    expect(Array.from(ratings.timestamp ?? [])).toEqual(Array.from(times));
    expect(Array.from(ratings.userId)).toEqual([1, 1, 2, 2_147_483_647]);
    expect(Array.from(ratings.rating ?? [])).toEqual([0.5, 5, 3.5, 1]);
  });

  it('converts whole seconds to int64 through 32-bit halves without losing a bit', () => {
    const values = Float64Array.of(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 1537799250);
    expect(Array.from(toInt64Column(values))).toEqual(Array.from(values, (v) => BigInt(v)));
  });

  it('writes implicit-only ratings with just the two id columns', async () => {
    const file = path.join(await newDir(), 'ratings.parquet');
    await writeRatingsParquet(file, {
      length: 2,
      userId: Int32Array.of(1, 2),
      movieId: Int32Array.of(3, 4),
      rating: null,
      timestamp: null,
    });
    const ratings = await readRatingsParquet(file);
    expect([ratings.rating, ratings.timestamp, Array.from(ratings.movieId)]).toEqual([null, null, [3, 4]]);
  });
});
