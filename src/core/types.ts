/**
 * Domain types shared by every layer.
 *
 * Raw MovieLens ids (`RawUserId`, `RawItemId`) are the public ids everywhere: API, CLI output, artifact
 * manifests. Dense indices (0..n-1) never leave a process.
 */
export type RawUserId = number;
export type RawItemId = number;

/** The models the registry knows. */
export const MODEL_KINDS = ['als', 'itemknn', 'popularity', 'neural', 'ease'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** The MovieLens releases the catalog knows. */
export const DATASET_NAMES = [
  'ml-100k',
  'ml-1m',
  'ml-10m',
  'ml-latest-small',
  'ml-latest',
  'ml-20m',
  'ml-25m',
] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/**
 * Ranked results for a batch of queries, flat: row `q` occupies `ids[q*k .. q*k+k)` and `scores` likewise,
 * best first. Rows with fewer than k candidates are padded with id -1 and score -Infinity.
 */
export interface TopK {
  ids: Int32Array;
  scores: Float32Array;
  k: number;
}

/**
 * A TopK of `rows` rows of `k`, all padding (id -1, score -Infinity), to be filled in place.
 * @example const out = emptyTopK(users.length, 10);
 */
export function emptyTopK(rows: number, k: number): TopK {
  return { ids: new Int32Array(rows * k).fill(-1), scores: new Float32Array(rows * k).fill(-Infinity), k };
}

/** Row `q` of a TopK as plain arrays, padding removed. */
export function topKRow(top: TopK, q: number): { ids: number[]; scores: number[] } {
  const ids: number[] = [];
  const scores: number[] = [];
  for (let j = q * top.k; j < (q + 1) * top.k; j++) {
    const id = top.ids[j] as number;
    if (id < 0) break;
    ids.push(id);
    scores.push(top.scores[j] as number);
  }
  return { ids, scores };
}
