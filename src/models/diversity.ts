/**
 * The popularity-bias control (issue 15.3): re-ranks a model's candidates (raw movie ids, best first) for a
 * `diversity` in 0..1. 0 keeps the model's order (today's behaviour, and the default everywhere); 1 trades
 * the most accuracy for coverage. Serving, the CLI and the evaluator all call `diversify`, so what is
 * measured is what is served.
 *
 * The method is chosen from a measurement (docs/benchmarks.md, "Popularity bias"); this first version is a
 * popularity penalty on the candidates' rank.
 */

/** What re-ranking may know of the catalogue. */
export interface DiversityContext {
  /** How many training positives a movie has (0 when unknown). */
  popularity(movieId: number): number;
  /** The movie's genres, MovieLens names (empty when unknown). */
  genres(movieId: number): readonly string[];
}

export interface DiversifyRequest {
  /** Candidates, best first (raw movie ids); typically MAX_K = 100 deep. */
  ranked: readonly number[];
  k: number;
  /** 0..1; 0 returns `ranked.slice(0, k)`. */
  diversity: number;
  context: DiversityContext;
  /** The movies the user (or visitor) liked, when known: methods that calibrate to a genre mix use them. */
  history?: readonly number[];
}

/**
 * The k movies to show, drawn from `ranked` and re-ordered for `diversity`.
 * @example diversify({ ranked: ids, k: 10, diversity: 0.5, context });
 */
export function diversify(request: DiversifyRequest): number[] {
  const { ranked, k, diversity, context } = request;
  if (!(diversity >= 0 && diversity <= 1)) throw new RangeError(`diversity must be in 0..1, got ${diversity}`);
  if (diversity === 0 || ranked.length <= 1) return ranked.slice(0, k);
  const n = ranked.length;
  // Relevance from the model's order (1 for the first candidate, 0 for the last), popularity as log-count
  // scaled to the candidates' range, so the trade does not depend on the dataset's size.
  const logPop = ranked.map((id) => Math.log1p(context.popularity(id)));
  const maxPop = Math.max(...logPop, 1e-9);
  const scored = ranked.map((id, i) => ({
    id,
    score: (1 - diversity) * (1 - i / (n - 1)) - diversity * ((logPop[i] as number) / maxPop),
    i,
  }));
  scored.sort((a, b) => b.score - a.score || a.i - b.i);
  return scored.slice(0, k).map((s) => s.id);
}
