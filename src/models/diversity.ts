/**
 * The popularity-bias control (issue 15.3): re-ranks a model's candidates (raw movie ids, best first) for a
 * `diversity` in 0..1. 0 keeps the model's order (today's behaviour, and the default everywhere); 1 trades
 * the most accuracy for coverage. Serving, the CLI and the evaluator all call `diversify`, so what is
 * measured is what is served.
 *
 * Three methods, all over the candidates' rank only (the model's scores are not comparable across models):
 * relevance of the candidate at 0-based rank i of n is `1 - i / (n - 1)`.
 * - `popularity` (the default, chosen from the measurement in docs/benchmarks.md, "Popularity bias"): score =
 *   (1 - w) * relevance - w * log(1 + positives) / max over the candidates, w = d * POPULARITY_MAX_WEIGHT
 *   (0.5: at w = 1 the list would be the least popular candidates whatever the model said, NDCG@10 -80%);
 *   one sort, O(n log n).
 * - `mmr-genres`: maximal marginal relevance, greedy: (1 - d) * relevance - d * the largest genre Jaccard
 *   similarity to a movie already chosen; O(k n).
 * - `calibration` (Steck, RecSys 2018): greedy, (1 - d) * relevance - d * KL(p || q~), p the genre mix of
 *   `history` (each movie's genres weigh 1/|genres|), q~ = 0.99 q + 0.01 p the mix of the list so far;
 *   without a history it keeps the model's order. O(k n |genres|).
 */

/** What re-ranking may know of the catalogue. */
export interface DiversityContext {
  /** How many training positives a movie has (0 when unknown). */
  popularity(movieId: number): number;
  /** The movie's genres, MovieLens names (empty when unknown). */
  genres(movieId: number): readonly string[];
}

/** The re-ranking methods measured for issue 15.3; `popularity` is the one served. */
export const DIVERSITY_METHODS = ['popularity', 'mmr-genres', 'calibration'] as const;
export type DiversityMethod = (typeof DIVERSITY_METHODS)[number];
/** The popularity penalty's weight at diversity 1 (its weight is diversity times this). */
export const POPULARITY_MAX_WEIGHT = 0.5;

/** The method `diversify` uses unless told otherwise (docs/benchmarks.md, "Popularity bias", says why). */
export const DEFAULT_DIVERSITY_METHOD: DiversityMethod = 'popularity';

export interface DiversifyRequest {
  /** Candidates, best first (raw movie ids); typically MAX_K = 100 deep. */
  ranked: readonly number[];
  k: number;
  /** 0..1; 0 returns `ranked.slice(0, k)`. */
  diversity: number;
  context: DiversityContext;
  /** The movies the user (or visitor) liked, when known: methods that calibrate to a genre mix use them. */
  history?: readonly number[];
  /** Default DEFAULT_DIVERSITY_METHOD; the others are kept for the measurement (`recsys evaluate --task diversity`). */
  method?: DiversityMethod;
}

/**
 * The k movies to show, drawn from `ranked` and re-ordered for `diversity` (fewer when `ranked` is shorter).
 * Deterministic: ties keep the model's order.
 * @example diversify({ ranked: ids, k: 10, diversity: 0.5, context });
 */
export function diversify(request: DiversifyRequest): number[] {
  const { ranked, k, diversity, context } = request;
  if (!(diversity >= 0 && diversity <= 1))
    throw new RangeError(`diversity must be in 0..1, got ${diversity}`);
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
  if (diversity === 0 || ranked.length <= 1) return ranked.slice(0, k);
  const method = request.method ?? DEFAULT_DIVERSITY_METHOD;
  const n = ranked.length;
  const relevance = (i: number): number => 1 - i / (n - 1);
  switch (method) {
    case 'popularity':
      return popularityPenalty(ranked, k, diversity * POPULARITY_MAX_WEIGHT, context, relevance);
    case 'mmr-genres':
      return mmrGenres(ranked, k, diversity, context, relevance);
    case 'calibration':
      return calibrated(ranked, k, diversity, context, relevance, request.history ?? []);
    default:
      throw new RangeError(
        `unknown diversity method '${String(method)}'; use ${DIVERSITY_METHODS.join(', ')}`,
      );
  }
}

type Relevance = (i: number) => number;

function popularityPenalty(
  ranked: readonly number[],
  k: number,
  d: number,
  context: DiversityContext,
  relevance: Relevance,
): number[] {
  // Popularity as log-count scaled to the candidates' range, so the trade does not depend on the dataset's size.
  const logPop = ranked.map((id) => Math.log1p(Math.max(0, context.popularity(id))));
  const maxPop = Math.max(...logPop, 1e-9);
  const scored = ranked.map((id, i) => ({
    id,
    score: (1 - d) * relevance(i) - d * ((logPop[i] as number) / maxPop),
    i,
  }));
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.slice(0, k).map((s) => s.id);
}

/** Greedy selection: at each step the remaining candidate with the highest `gain` (ties: model's order). */
function greedy(n: number, k: number, gain: (i: number) => number, onPick: (i: number) => void): number[] {
  const taken = new Uint8Array(n);
  const order: number[] = [];
  for (let step = 0; step < Math.min(k, n); step++) {
    let best = -1;
    let bestGain = -Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      const g = gain(i);
      if (g > bestGain) {
        bestGain = g;
        best = i;
      }
    }
    taken[best] = 1;
    order.push(best);
    onPick(best);
  }
  return order;
}

function mmrGenres(
  ranked: readonly number[],
  k: number,
  d: number,
  context: DiversityContext,
  relevance: Relevance,
): number[] {
  const genres = ranked.map((id) => new Set(context.genres(id)));
  const maxSim = new Float64Array(ranked.length);
  const order = greedy(
    ranked.length,
    k,
    (i) => (1 - d) * relevance(i) - d * (maxSim[i] as number),
    (picked) => {
      const a = genres[picked] as Set<string>;
      genres.forEach((b, i) => {
        maxSim[i] = Math.max(maxSim[i] as number, jaccard(a, b));
      });
    },
  );
  return order.map((i) => ranked[i] as number);
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let both = 0;
  for (const g of a) if (b.has(g)) both++;
  return both / (a.size + b.size - both);
}

/** Share of the target mix kept in the list's mix so KL stays finite (Steck's alpha). */
const CALIBRATION_ALPHA = 0.01;

function calibrated(
  ranked: readonly number[],
  k: number,
  d: number,
  context: DiversityContext,
  relevance: Relevance,
  history: readonly number[],
): number[] {
  const index = new Map<string, number>();
  const mix = (id: number): [number, number][] => {
    const gs = context.genres(id);
    return gs.map((g) => {
      if (!index.has(g)) index.set(g, index.size);
      return [index.get(g) as number, 1 / gs.length];
    });
  };
  const targetEntries = history.flatMap((id) => mix(id));
  if (targetEntries.length === 0) return ranked.slice(0, k);
  const candidates = ranked.map((id) => mix(id));
  const p = new Float64Array(index.size);
  for (const [g, w] of targetEntries) p[g]! += w;
  const pSum = p.reduce((s, v) => s + v, 0);
  for (let g = 0; g < p.length; g++) p[g]! /= pSum;
  const listMix = new Float64Array(index.size);
  let listCount = 0;
  const kl = (extra: readonly [number, number][]): number => {
    const q = Float64Array.from(listMix);
    for (const [g, w] of extra) q[g]! += w;
    const total = listCount + 1;
    let sum = 0;
    for (let g = 0; g < p.length; g++) {
      const pg = p[g] as number;
      if (pg === 0) continue;
      const qg = (1 - CALIBRATION_ALPHA) * ((q[g] as number) / total) + CALIBRATION_ALPHA * pg;
      sum += pg * Math.log(pg / qg);
    }
    return sum;
  };
  const order = greedy(
    ranked.length,
    k,
    (i) => (1 - d) * relevance(i) - d * kl(candidates[i] as [number, number][]),
    (picked) => {
      for (const [g, w] of candidates[picked] as [number, number][]) listMix[g]! += w;
      listCount++;
    },
  );
  return order.map((i) => ranked[i] as number);
}
