import type { IdEncoder } from './types.js';

/**
 * Builds an encoder over the distinct raw ids, numbered in ascending raw-id order so the numbering does not
 * depend on row order.
 * @example const users = createIdEncoder(ratings.userId); users.toDense(42);
 */
export function createIdEncoder(rawIds: ArrayLike<number>): IdEncoder {
  const distinct = distinctByPresence(rawIds);
  if (distinct) return encoderFromSortedUnique(distinct);
  const sorted = Int32Array.from(rawIds).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i] as number;
  }
  return encoderFromSortedUnique(sorted.slice(0, n));
}

/**
 * The distinct ids in ascending order by marking a presence table, O(n + span) instead of a sort; undefined
 * when the id span is too wide for a table (then the caller sorts).
 */
function distinctByPresence(rawIds: ArrayLike<number>): Int32Array | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < rawIds.length; i++) {
    const v = rawIds[i] as number;
    if (!Number.isInteger(v)) return undefined;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min + 1;
  if (!(span > 0 && span <= Math.max(1 << 20, rawIds.length * 4))) return undefined;
  const present = new Uint8Array(span);
  let n = 0;
  for (let i = 0; i < rawIds.length; i++) {
    const k = (rawIds[i] as number) - min;
    if (present[k] === 0) {
      present[k] = 1;
      n++;
    }
  }
  const out = new Int32Array(n);
  for (let k = 0, d = 0; k < span; k++) if (present[k] === 1) out[d++] = k + min;
  return out;
}

/** An encoder over ids that are already sorted ascending and distinct (e.g. read back from an artifact). */
export function encoderFromSortedUnique(rawIds: Int32Array): IdEncoder {
  const min = rawIds.length > 0 ? (rawIds[0] as number) : 0;
  const max = rawIds.length > 0 ? (rawIds[rawIds.length - 1] as number) : -1;
  // MovieLens ids are small positive integers: a direct lookup table is faster than a Map and small
  // (ml-25m's largest movie id is 209171). Fall back to a Map for sparse or huge id spaces.
  const span = max - min + 1;
  const useTable = span <= Math.max(1 << 20, rawIds.length * 8);
  let table: Int32Array | undefined;
  let map: Map<number, number> | undefined;
  if (useTable) {
    table = new Int32Array(Math.max(span, 0)).fill(-1);
    for (let d = 0; d < rawIds.length; d++) table[(rawIds[d] as number) - min] = d;
  } else {
    map = new Map();
    for (let d = 0; d < rawIds.length; d++) map.set(rawIds[d] as number, d);
  }
  return {
    size: rawIds.length,
    rawIds,
    toDense: table
      ? (raw) => {
          const i = raw - min;
          return i >= 0 && i < span && Number.isInteger(raw) ? (table[i] as number) : -1;
        }
      : (raw) => map?.get(raw) ?? -1,
    toRaw: (dense) => {
      if (!(dense >= 0 && dense < rawIds.length)) throw new RangeError(`dense index ${dense} out of range`);
      return rawIds[dense] as number;
    },
  };
}

/** Encodes a column of raw ids; unknown ids become -1. */
export function encodeAll(encoder: IdEncoder, raw: ArrayLike<number>): Int32Array {
  const out = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = encoder.toDense(raw[i] as number);
  return out;
}
