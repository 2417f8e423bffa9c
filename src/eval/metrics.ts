/**
 * Ranking metrics as pure functions over one user's ranked list, plus the aggregates over all users'
 * lists (mean over users, catalog coverage, mean popularity, novelty). No tensor or model goes in here.
 *
 * Shared conventions:
 * - `ranked` holds item ids best first; only its first `k` entries count. Negative ids (the padding of a
 *   `TopK` row) are never relevant.
 * - `relevant` is the set of the user's held-out relevant items (binary relevance).
 * - An empty `relevant` set gives 0 for every metric. The evaluator never asks: it averages over users with
 *   at least one relevant item, as the seed protocol does.
 * - A list shorter than `k` counts its missing places as misses (precision still divides by k).
 */

/** Item ids best first (a typed array row or a plain array). */
export type RankedList = ArrayLike<number>;
/** The user's relevant (held-out positive) items. */
export type RelevantItems = ReadonlySet<number>;

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
}

function countHits(ranked: RankedList, relevant: RelevantItems, k: number): number {
  let hits = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i] as number)) hits++;
  return hits;
}

/**
 * Precision@k: relevant items among the first k, divided by k (not by the list length).
 * @example precisionAtK([3, 10, 12], new Set([1, 2, 3]), 10); // 0.1
 */
export function precisionAtK(ranked: RankedList, relevant: RelevantItems, k: number): number {
  checkK(k);
  if (relevant.size === 0) return 0;
  return countHits(ranked, relevant, k) / k;
}

/**
 * Recall@k: relevant items among the first k, divided by the number of relevant items.
 * @example recallAtK([3, 10, 12], new Set([1, 2, 3]), 10); // 1/3
 */
export function recallAtK(ranked: RankedList, relevant: RelevantItems, k: number): number {
  checkK(k);
  if (relevant.size === 0) return 0;
  return countHits(ranked, relevant, k) / relevant.size;
}

/**
 * AP@k: the sum of precision@i at every rank i <= k holding a relevant item, divided by
 * min(|relevant|, k), so a perfect list scores 1 even when the user has more than k relevant items.
 * @example averagePrecisionAtK([1, 9, 2], new Set([1, 2]), 10); // (1/1 + 2/3) / 2
 */
export function averagePrecisionAtK(ranked: RankedList, relevant: RelevantItems, k: number): number {
  checkK(k);
  if (relevant.size === 0) return 0;
  let hits = 0;
  let sum = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) {
    if (relevant.has(ranked[i] as number)) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / Math.min(relevant.size, k);
}

/** 1 / log2(rank + 1) for 1-based ranks 1..n, cached: NDCG divides by the ideal sum of these. */
const discounts: number[] = [];
function discount(rank: number): number {
  for (let r = discounts.length + 1; r <= rank; r++) discounts.push(1 / Math.log2(r + 1));
  return discounts[rank - 1] as number;
}

/**
 * NDCG@k with binary gain and log2 discount: DCG = sum over relevant items at 1-based rank i <= k of
 * 1/log2(i+1), divided by the ideal DCG, where the min(|relevant|, k) relevant items fill the first places.
 * @example ndcgAtK([9, 1], new Set([1]), 10); // 1/log2(3) = 0.6309
 */
export function ndcgAtK(ranked: RankedList, relevant: RelevantItems, k: number): number {
  checkK(k);
  if (relevant.size === 0) return 0;
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i] as number)) dcg += discount(i + 1);
  if (dcg === 0) return 0;
  let ideal = 0;
  const m = Math.min(relevant.size, k);
  for (let i = 1; i <= m; i++) ideal += discount(i);
  return dcg / ideal;
}

/**
 * MRR@k for one user: 1 / (1-based rank of the first relevant item) when it lies within the first k, else 0.
 * @example reciprocalRankAtK([9, 8, 1], new Set([1]), 10); // 1/3
 */
export function reciprocalRankAtK(ranked: RankedList, relevant: RelevantItems, k: number): number {
  checkK(k);
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if (relevant.has(ranked[i] as number)) return 1 / (i + 1);
  return 0;
}

/**
 * HitRate@k for one user: 1 when any relevant item lies within the first k, else 0.
 * @example hitRateAtK([9, 8, 1], new Set([1]), 2); // 0
 */
export function hitRateAtK(ranked: RankedList, relevant: RelevantItems, k: number): number {
  checkK(k);
  return reciprocalRankAtK(ranked, relevant, k) > 0 ? 1 : 0;
}

/** The per-user ranking metrics, by the name they carry in reports (`ndcg@10`). */
export const RANKING_METRICS = {
  precision: precisionAtK,
  recall: recallAtK,
  map: averagePrecisionAtK,
  ndcg: ndcgAtK,
  mrr: reciprocalRankAtK,
  hitrate: hitRateAtK,
} as const;
export type RankingMetricName = keyof typeof RANKING_METRICS;
export const RANKING_METRIC_NAMES = Object.keys(RANKING_METRICS) as RankingMetricName[];

/**
 * Every ranking metric of one user's list at k.
 * @example rankingMetrics([3, 10, 12], new Set([1, 2, 3]), 10).ndcg;
 */
export function rankingMetrics(
  ranked: RankedList,
  relevant: RelevantItems,
  k: number,
): Record<RankingMetricName, number> {
  const out = {} as Record<RankingMetricName, number>;
  for (const name of RANKING_METRIC_NAMES) out[name] = RANKING_METRICS[name](ranked, relevant, k);
  return out;
}

/**
 * Mean over users of per-user metric records (one record per user, same keys); an empty input returns {}.
 * @example meanOverUsers([{ ndcg: 1 }, { ndcg: 0 }]); // { ndcg: 0.5 }
 */
export function meanOverUsers<N extends string>(perUser: readonly Record<N, number>[]): Record<N, number> {
  const sums = {} as Record<N, number>;
  if (perUser.length === 0) return sums;
  for (const row of perUser) {
    for (const name of Object.keys(row) as N[]) sums[name] = (sums[name] ?? 0) + row[name];
  }
  for (const name of Object.keys(sums) as N[]) sums[name] /= perUser.length;
  return sums;
}

/**
 * Catalog coverage@k: distinct items among all users' first k recommendations, divided by the catalog size.
 * @example catalogCoverage([[1, 2], [2, 3]], 10, 2); // 0.3
 */
export function catalogCoverage(lists: Iterable<RankedList>, catalogSize: number, k: number): number {
  checkK(k);
  if (catalogSize <= 0) return 0;
  const seen = new Set<number>();
  for (const list of lists) {
    const n = Math.min(k, list.length);
    for (let i = 0; i < n; i++) {
      const item = list[i] as number;
      if (item >= 0) seen.add(item);
    }
  }
  return seen.size / catalogSize;
}

/**
 * Mean popularity@k (average recommendation popularity): the mean of `popularity[item]` over every
 * recommended item in all users' first k places; `popularity` is the item's number of training interactions
 * in the evaluator. 0 when nothing was recommended.
 * @example meanPopularity([[0, 1]], Float64Array.from([10, 2]), 2); // 6
 */
export function meanPopularity(
  lists: Iterable<RankedList>,
  popularity: ArrayLike<number>,
  k: number,
): number {
  return meanOverRecommended(lists, k, (item) => popularity[item] ?? 0);
}

/**
 * Mean novelty@k in bits: the mean over recommended items of -log2(p(item)), p = popularity / nUsers (the
 * share of training users who interacted with it); items nobody interacted with count as p = 1/nUsers.
 * @example novelty([[0]], Float64Array.from([1]), 4, 1); // 2
 */
export function novelty(
  lists: Iterable<RankedList>,
  popularity: ArrayLike<number>,
  nUsers: number,
  k: number,
): number {
  return meanOverRecommended(lists, k, (item) => -Math.log2(Math.max(popularity[item] ?? 0, 1) / nUsers));
}

/** The mean of `value(item)` over every item in the first k places of every list (padding skipped); 0 if none. */
function meanOverRecommended(
  lists: Iterable<RankedList>,
  k: number,
  value: (item: number) => number,
): number {
  checkK(k);
  let sum = 0;
  let count = 0;
  for (const list of lists) {
    const n = Math.min(k, list.length);
    for (let i = 0; i < n; i++) {
      const item = list[i] as number;
      if (item < 0) continue;
      sum += value(item);
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}
