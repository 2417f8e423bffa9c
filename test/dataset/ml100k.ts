import fs from 'node:fs';
import path from 'node:path';
import type { RatingsTable } from '../../src/data/schema.js';

/** The shared MovieLens folder (CI clones the repo with ../shared beside it). */
export const MOVIELENS_DIR = path.resolve(process.cwd(), '..', 'shared', 'movielens');

/** One line of ml-100k's u.data, parsed here directly (independently of src/data's readers). */
export interface RawRating {
  user: number;
  item: number;
  rating: number;
  timestamp: number;
}

/** ml-100k u.data as plain rows: tab-separated `user item rating timestamp`. */
export function readUData(): RawRating[] {
  const text = fs.readFileSync(path.join(MOVIELENS_DIR, 'ml-100k', 'u.data'), 'latin1');
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [user, item, rating, timestamp] = line.split('\t').map(Number) as [
        number,
        number,
        number,
        number,
      ];
      return { user, item, rating, timestamp };
    });
}

/** Plain rows as a columnar ratings table. */
export function toRatingsTable(
  rows: readonly RawRating[],
  withTimestamp = true,
  withRating = true,
): RatingsTable {
  return {
    length: rows.length,
    userId: Int32Array.from(rows, (r) => r.user),
    movieId: Int32Array.from(rows, (r) => r.item),
    rating: withRating ? Float32Array.from(rows, (r) => r.rating) : null,
    timestamp: withTimestamp ? Float64Array.from(rows, (r) => r.timestamp) : null,
  };
}
