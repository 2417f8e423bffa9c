import { createHash } from 'node:crypto';
import type { RatingsTable } from '../data/schema.js';

/**
 * A sha256 over a ratings table's columns (user ids, movie ids, then ratings and timestamps where present,
 * each tagged), so a manifest says exactly which data a model was trained on. Same rows in the same order
 * give the same hash whatever file they were read from.
 * @example const hash = datasetFingerprint(tables.ratings); // '3f2a...'
 */
export function datasetFingerprint(ratings: RatingsTable): string {
  const hash = createHash('sha256');
  const add = (tag: string, column: Int32Array | Float32Array | Float64Array | null): void => {
    hash.update(`${tag}:${column ? column.length : 'none'};`);
    if (column) hash.update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
  };
  add('user_id', ratings.userId);
  add('movie_id', ratings.movieId);
  add('rating', ratings.rating);
  add('timestamp', ratings.timestamp);
  return hash.digest('hex');
}
