import type { RatingsTable } from '../schema.js';
import type { BadLineSink } from './bad-lines.js';

/**
 * Duplicate (user, movie) pairs in linear time: rows are bucketed by user (a stable counting sort), then a
 * per-movie marker remembers the last user that rated it, so a second hit inside one user's bucket is a
 * duplicate. Ids too large for direct arrays fall back to sorting packed keys.
 */

const DIRECT_LIMIT = 1 << 26;

/**
 * Rows (ascending) that repeat an earlier row's (user, movie) pair; the first occurrence is not listed.
 * @example findDuplicateRows(Int32Array.of(1, 1), Int32Array.of(5, 5)) // Int32Array [1]
 */
export function findDuplicateRows(userId: Int32Array, movieId: Int32Array): Int32Array {
  const n = userId.length;
  let maxUser = 0;
  let maxMovie = 0;
  for (let i = 0; i < n; i++) {
    if ((userId[i] as number) > maxUser) maxUser = userId[i] as number;
    if ((movieId[i] as number) > maxMovie) maxMovie = movieId[i] as number;
  }
  if (maxUser >= DIRECT_LIMIT || maxMovie >= DIRECT_LIMIT) return findDuplicateRowsBySorting(userId, movieId);
  const start = new Int32Array(maxUser + 2);
  for (let i = 0; i < n; i++)
    start[(userId[i] as number) + 1] = (start[(userId[i] as number) + 1] as number) + 1;
  for (let u = 0; u <= maxUser; u++) start[u + 1] = (start[u + 1] as number) + (start[u] as number);
  const order = new Int32Array(n);
  const next = start.slice(0, maxUser + 1);
  for (let i = 0; i < n; i++) {
    const u = userId[i] as number;
    order[next[u] as number] = i;
    next[u] = (next[u] as number) + 1;
  }
  const seenBy = new Int32Array(maxMovie + 1); // user + 1 that last rated the movie
  const duplicates: number[] = [];
  for (let u = 0; u <= maxUser; u++) {
    const end = start[u + 1] as number;
    for (let j = start[u] as number; j < end; j++) {
      const row = order[j] as number;
      const m = movieId[row] as number;
      if (seenBy[m] === u + 1) duplicates.push(row);
      else seenBy[m] = u + 1;
    }
  }
  return Int32Array.from(duplicates).sort();
}

function findDuplicateRowsBySorting(userId: Int32Array, movieId: Int32Array): Int32Array {
  const n = userId.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = (userId[i] as number) * 2 ** 31 + (movieId[i] as number);
  const sorted = keys.slice().sort();
  const repeated = new Set<number>();
  for (let i = 1; i < n; i++) if (sorted[i] === sorted[i - 1]) repeated.add(sorted[i] as number);
  if (repeated.size === 0) return new Int32Array(0);
  const seen = new Set<number>();
  const duplicates: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    if (!repeated.has(k)) continue;
    if (seen.has(k)) duplicates.push(i);
    else seen.add(k);
  }
  return Int32Array.from(duplicates);
}

/**
 * Reports every duplicate pair through the sink (which throws at the first, by line order, unless skipping)
 * and returns the table without the repeats (the same table when there are none).
 */
export function removeDuplicatePairs(
  table: RatingsTable,
  file: string,
  lineOfRow: (row: number) => number,
  sink: BadLineSink,
): RatingsTable {
  const duplicates = findDuplicateRows(table.userId, table.movieId);
  if (duplicates.length === 0) return table;
  for (const row of duplicates) {
    const line = lineOfRow(row);
    sink.fault(
      file,
      line,
      'duplicate',
      `user ${table.userId[row]} and movie ${table.movieId[row]} already appear on an earlier line`,
    );
  }
  const keep = table.length - duplicates.length;
  const out = {
    userId: new Int32Array(keep),
    movieId: new Int32Array(keep),
    rating: table.rating ? new Float32Array(keep) : null,
    timestamp: table.timestamp ? new Float64Array(keep) : null,
  };
  let d = 0;
  let w = 0;
  for (let i = 0; i < table.length; i++) {
    if (d < duplicates.length && duplicates[d] === i) {
      d++;
      continue;
    }
    out.userId[w] = table.userId[i] as number;
    out.movieId[w] = table.movieId[i] as number;
    if (out.rating && table.rating) out.rating[w] = table.rating[i] as number;
    if (out.timestamp && table.timestamp) out.timestamp[w] = table.timestamp[i] as number;
    w++;
  }
  return { length: keep, ...out };
}
