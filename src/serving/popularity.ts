/**
 * The cold-start ranking: movies by how many users rated them positively, computed from the database's
 * ratings (so it covers movies and ratings added after training). Users without a usable history get its
 * head, minus what they have rated.
 * @example const ranking = createPopularityRanking(counts); ranking.top(10, new Set([296]));
 */
export interface PopularityRanking {
  /** Positive ratings of a movie (0 when unknown). */
  countOf(movieId: number): number;
  /** The `k` most popular movies not in `exclude`, most popular first. */
  top(k: number, exclude?: ReadonlySet<number>): number[];
}

/** Builds the ranking from `(movieId, count)` pairs; ties go to the lower id so the order is stable. */
export function createPopularityRanking(
  counts: Iterable<{ movieId: number; count: number }>,
): PopularityRanking {
  const byId = new Map<number, number>();
  for (const { movieId, count } of counts) byId.set(movieId, count);
  const order = Int32Array.from(
    [...byId.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([id]) => id),
  );
  return {
    countOf: (movieId) => byId.get(movieId) ?? 0,
    top(k, exclude) {
      const out: number[] = [];
      for (let i = 0; i < order.length && out.length < k; i++) {
        const id = order[i] as number;
        if (!exclude?.has(id)) out.push(id);
      }
      return out;
    },
  };
}
