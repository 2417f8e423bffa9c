import { ValidationError } from '../core/errors.js';
import type { RatingsTable } from '../data/schema.js';
import { createIdEncoder, encodeAll } from './encoder.js';
import type { CsrMatrix, Interactions } from './types.js';

/**
 * Building and slicing `Interactions`: from a ratings table (raw ids) to dense coordinates, subsets that keep
 * the dataset's encoders (so dense indices mean the same thing in every split), and small accessors.
 */

/**
 * Encodes a ratings table: user and item encoders over every id in the table (ascending raw id order), dense
 * coordinates, and the table's rating and timestamp columns passed through without a copy.
 * @example const all = interactionsFromRatings(await readInteractionsParquet(file, { user: 'userID', item: 'movieID' }));
 */
export function interactionsFromRatings(table: RatingsTable): Interactions {
  const n = table.length;
  for (const [name, column] of [
    ['userId', table.userId],
    ['movieId', table.movieId],
    ['rating', table.rating],
    ['timestamp', table.timestamp],
  ] as const) {
    if (column && column.length !== n) {
      throw new ValidationError(name, `column has ${column.length} rows, the table ${n}`);
    }
  }
  const users = createIdEncoder(table.userId);
  const items = createIdEncoder(table.movieId);
  return {
    users,
    items,
    user: encodeAll(users, table.userId),
    item: encodeAll(items, table.movieId),
    rating: table.rating,
    timestamp: table.timestamp,
  };
}

/**
 * The interactions at the given row positions, in that order, with the same encoders.
 * @example const firstTen = subsetInteractions(all, Int32Array.from({ length: 10 }, (_, k) => k));
 */
export function subsetInteractions(interactions: Interactions, rowIndices: Int32Array): Interactions {
  const n = rowIndices.length;
  const size = interactions.user.length;
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const rating = interactions.rating ? new Float32Array(n) : null;
  const timestamp = interactions.timestamp ? new Float64Array(n) : null;
  for (let k = 0; k < n; k++) {
    const r = rowIndices[k] as number;
    if (!(r >= 0 && r < size)) throw new RangeError(`row index ${r} outside 0..${size - 1}`);
    user[k] = interactions.user[r] as number;
    item[k] = interactions.item[r] as number;
  }
  if (rating) gather(interactions.rating as Float32Array, rowIndices, rating);
  if (timestamp) gather(interactions.timestamp as Float64Array, rowIndices, timestamp);
  return { users: interactions.users, items: interactions.items, user, item, rating, timestamp };
}

function gather<T extends Float32Array | Float64Array>(source: T, rows: Int32Array, out: T): void {
  for (let k = 0; k < rows.length; k++) out[k] = source[rows[k] as number] as number;
}

/**
 * The interactions whose `keep` flag is non-zero, in their original order, with the same encoders.
 * @example const recent = selectInteractions(all, all.timestamp!.map((t) => (t > cutoff ? 1 : 0)));
 */
export function selectInteractions(interactions: Interactions, keep: ArrayLike<number>): Interactions {
  if (keep.length !== interactions.user.length) {
    throw new RangeError(`keep has ${keep.length} flags for ${interactions.user.length} interactions`);
  }
  return subsetInteractions(interactions, rowsWhere(keep));
}

/** Positions of the non-zero flags, ascending. */
export function rowsWhere(keep: ArrayLike<number>): Int32Array {
  let n = 0;
  for (let r = 0; r < keep.length; r++) if (keep[r]) n++;
  const rows = new Int32Array(n);
  for (let r = 0, k = 0; r < keep.length; r++) if (keep[r]) rows[k++] = r;
  return rows;
}

/**
 * Keeps the interactions rated at least `threshold` (e.g. 4 for the seed protocol's positives). Implicit-only
 * data has no ratings to compare, which is an error naming `threshold`.
 * @example const positives = keepRatingsAtLeast(train, 4);
 */
export function keepRatingsAtLeast(interactions: Interactions, threshold: number): Interactions {
  const rating = interactions.rating;
  if (!rating) {
    throw new ValidationError(
      'threshold',
      `a rating threshold (${threshold}) needs ratings, but these interactions are implicit-only; use 'none'`,
    );
  }
  const keep = new Uint8Array(rating.length);
  for (let r = 0; r < rating.length; r++) keep[r] = (rating[r] as number) >= threshold ? 1 : 0;
  return subsetInteractions(interactions, rowsWhere(keep));
}

/**
 * Concatenates interactions over the same encoders (e.g. train + validation for a final fit).
 * @example const trainAndValidation = concatInteractions(split.train, split.validation);
 */
export function concatInteractions(...parts: Interactions[]): Interactions {
  const first = parts[0];
  if (!first) throw new RangeError('concatInteractions needs at least one part');
  for (const p of parts) {
    if (p.users !== first.users || p.items !== first.items) {
      throw new ValidationError('interactions', 'parts to concatenate must share the same encoders');
    }
  }
  const n = parts.reduce((sum, p) => sum + p.user.length, 0);
  const withRating = parts.every((p) => p.rating !== null);
  const withTimestamp = parts.every((p) => p.timestamp !== null);
  const user = new Int32Array(n);
  const item = new Int32Array(n);
  const rating = withRating ? new Float32Array(n) : null;
  const timestamp = withTimestamp ? new Float64Array(n) : null;
  let offset = 0;
  for (const p of parts) {
    user.set(p.user, offset);
    item.set(p.item, offset);
    if (rating && p.rating) rating.set(p.rating, offset);
    if (timestamp && p.timestamp) timestamp.set(p.timestamp, offset);
    offset += p.user.length;
  }
  return { users: first.users, items: first.items, user, item, rating, timestamp };
}

/**
 * Number of interactions of each dense user (length users.size).
 * @example const activity = countPerUser(all); activity[all.users.toDense(1)];
 */
export function countPerUser(interactions: Interactions): Int32Array {
  return countDense(interactions.user, interactions.users.size);
}

/**
 * Number of interactions of each dense item (length items.size).
 * @example const popularity = countPerItem(train);
 */
export function countPerItem(interactions: Interactions): Int32Array {
  return countDense(interactions.item, interactions.items.size);
}

function countDense(indices: Int32Array, size: number): Int32Array {
  const counts = new Int32Array(size);
  for (let k = 0; k < indices.length; k++) counts[indices[k] as number]!++;
  return counts;
}

/**
 * Row `row` of a CSR matrix as views (no copy): a user's items and their values in a user x item matrix, or an
 * item's users in its transpose. The shape matches the models' `UserHistory`.
 * @example const { items, values } = historyOf(userItems, users.toDense(42));
 */
export function historyOf(matrix: CsrMatrix, row: number): { items: Int32Array; values: Float32Array } {
  if (!(row >= 0 && row < matrix.nRows)) throw new RangeError(`row ${row} outside 0..${matrix.nRows - 1}`);
  const start = matrix.indptr[row] as number;
  const end = matrix.indptr[row + 1] as number;
  return { items: matrix.indices.subarray(start, end), values: matrix.values.subarray(start, end) };
}

/**
 * Decodes interactions back to a ratings table with raw ids (e.g. to write a split or seed a database).
 * @example const table = interactionsToRatings(split.test);
 */
export function interactionsToRatings(interactions: Interactions): RatingsTable {
  const n = interactions.user.length;
  const userId = new Int32Array(n);
  const movieId = new Int32Array(n);
  const userRaw = interactions.users.rawIds;
  const itemRaw = interactions.items.rawIds;
  for (let k = 0; k < n; k++) {
    userId[k] = userRaw[interactions.user[k] as number] as number;
    movieId[k] = itemRaw[interactions.item[k] as number] as number;
  }
  return {
    length: n,
    userId,
    movieId,
    rating: interactions.rating ? interactions.rating.slice() : null,
    timestamp: interactions.timestamp ? interactions.timestamp.slice() : null,
  };
}
