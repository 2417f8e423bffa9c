/**
 * Support-aware item-item similarity from co-ratings: how similar movies are served (issue 11.2).
 *
 * For a query item i and a candidate j, with n_i and n_j the users who have each in the training matrix and
 * n_ij the users who have both:
 *
 *   sim(i, j) = n_ij / sqrt(n_i * n_j)  *  n_ij / (n_ij + shrinkage),   and 0 when n_ij < minSupport.
 *
 * The first factor is the cosine of the binary item vectors (item-kNN's cosine); the second shrinks pairs seen
 * together by few users towards 0 (Koren's shrinkage), and pairs below the minimum support never count. A
 * movie with one rating can then no longer top a list because its one rater also liked the query, which is
 * what ALS's factor cosine did (its factors point wherever that rater points). Measured with
 * `recsys evaluate --task similar` (docs/benchmarks.md): on ml-100k, ml-latest-small and the ml-1m
 * interactions this beats both the factor cosine and item-kNN's plain cosine at HR@10.
 *
 * Cost per query: the sum of the history lengths of the query's users (one pass over them) plus a sort of the
 * co-rated candidates; no dense item x item matrix.
 */
import { emptyTopK, type TopK } from '../core/types.js';
import { transposeCsr } from '../dataset/csr.js';
import type { CsrMatrix } from '../dataset/types.js';
import { checkIndices, checkK } from './ranking.js';

export interface CoRatingOptions {
  /** Pairs co-rated by n users are scaled by n / (n + shrinkage) (default 20; 0 turns shrinkage off). */
  shrinkage: number;
  /** Pairs co-rated by fewer users score 0 and are never answered (default 2). */
  minSupport: number;
}

/** Depth of the cached lists: the serving layer's largest k. */
const CACHE_DEPTH = 100;
/** Items whose lists are kept (about 1 KB each). */
const CACHE_ENTRIES = 20_000;

/** The settings measured best on the three datasets (docs/benchmarks.md, "Similar movies"). */
export const CO_RATING_DEFAULTS: Readonly<CoRatingOptions> = Object.freeze({ shrinkage: 20, minSupport: 2 });

/**
 * Similar items by shrunk co-rating cosine over one user x item matrix (only its pattern counts: any value
 * present is a rating). Build once per matrix; `similarItems` may be called any number of times.
 * @example const index = new CoRatingIndex(train.userItems); const top = index.similarItems(Int32Array.of(0), 10);
 */
export class CoRatingIndex {
  private readonly itemUsers: CsrMatrix;
  private readonly degree: Int32Array;
  private readonly options: CoRatingOptions;

  constructor(
    private readonly userItems: CsrMatrix,
    options: Partial<CoRatingOptions> = {},
  ) {
    this.options = { ...CO_RATING_DEFAULTS, ...options };
    if (!(this.options.shrinkage >= 0)) throw new RangeError(`shrinkage must be >= 0`);
    if (!(this.options.minSupport >= 1)) throw new RangeError(`minSupport must be >= 1`);
    this.itemUsers = transposeCsr(userItems);
    this.degree = new Int32Array(userItems.nCols);
    for (let i = 0; i < userItems.nCols; i++) {
      this.degree[i] = (this.itemUsers.indptr[i + 1] as number) - (this.itemUsers.indptr[i] as number);
    }
  }

  /**
   * The k items most similar to each of `items` (itself excluded), best first, ties by lower index; rows are
   * padded with -1 when fewer items reach the minimum support. Lists are computed CACHE_DEPTH deep and kept
   * for the last CACHE_ENTRIES items asked (serving asks the same movies again and again).
   * @example const top = index.similarItems(Int32Array.of(item), 10); top.ids[0];
   */
  similarItems(items: Int32Array, k: number): TopK {
    checkK(k);
    checkIndices(items, this.userItems.nCols, 'item');
    const out = emptyTopK(items.length, k);
    for (let q = 0; q < items.length; q++) {
      const item = items[q] as number;
      let list = k <= CACHE_DEPTH ? this.cache.get(item) : undefined;
      if (list) {
        this.cache.delete(item);
      } else {
        list = this.rank(item, Math.max(k, CACHE_DEPTH));
      }
      // Re-inserted last: the Map's first key is the least recently asked.
      this.cache.set(item, list);
      if (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as number);
      const n = Math.min(k, list.ids.length);
      out.ids.set(list.ids.subarray(0, n), q * k);
      out.scores.set(list.scores.subarray(0, n), q * k);
    }
    return out;
  }

  private readonly cache = new Map<number, RankedList>();
  private counts: Int32Array | undefined;
  private touched: Int32Array | undefined;
  private candidateScores: Float64Array | undefined;

  /** The `depth` best items for one item; `complete` when every candidate fitted. */
  private rank(item: number, depth: number): RankedList {
    const nItems = this.userItems.nCols;
    const counts = (this.counts ??= new Int32Array(nItems));
    const touched = (this.touched ??= new Int32Array(nItems));
    const score = (this.candidateScores ??= new Float64Array(nItems));
    const { shrinkage, minSupport } = this.options;
    const { indptr: userStart, indices: userItem } = this.userItems;
    const users = this.itemUsers;
    let nTouched = 0;
    for (let p = users.indptr[item] as number; p < (users.indptr[item + 1] as number); p++) {
      const u = users.indices[p] as number;
      const end = userStart[u + 1] as number;
      for (let r = userStart[u] as number; r < end; r++) {
        const j = userItem[r] as number;
        if (counts[j]!++ === 0) touched[nTouched++] = j;
      }
    }
    const di = this.degree[item] as number;
    let nCandidates = 0;
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t] as number;
      const n = counts[j] as number;
      counts[j] = 0;
      if (j === item || n < minSupport) continue;
      score[j] = ((n / Math.sqrt(di * (this.degree[j] as number))) * n) / (n + shrinkage);
      touched[nCandidates++] = j;
    }
    const ranked = touched
      .slice(0, nCandidates)
      .sort((a, b) => (score[b] as number) - (score[a] as number) || a - b);
    const kept = ranked.subarray(0, Math.min(depth, nCandidates));
    return {
      ids: kept,
      scores: Float32Array.from(kept, (j) => score[j] as number),
      complete: kept.length === nCandidates,
    };
  }
}

/** One item's ranked neighbours. */
interface RankedList {
  ids: Int32Array;
  scores: Float32Array;
  /** True when `ids` holds every candidate (a short list is then the whole answer at any k). */
  complete: boolean;
}
