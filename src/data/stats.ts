import type { DatasetTables, RatingsTable } from './schema.js';

/**
 * Descriptive statistics of a ratings table: counts, sparsity, rating histogram, user and item activity
 * quantiles and the long-tail share. Quantiles interpolate linearly between order statistics (numpy's default,
 * Hyndman-Fan type 7).
 */

export interface ActivityQuantiles {
  min: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface DatasetStats {
  ratings: number;
  /** Distinct users with at least one rating. */
  users: number;
  /** Distinct movies with at least one rating. */
  items: number;
  /** Rows of the movies table (rated or not), when given. */
  movies: number | null;
  /** 1 - ratings / (users * items). */
  sparsity: number;
  /** Count per distinct rating value, ascending; null for implicit-only data. */
  ratingHistogram: { rating: number; count: number }[] | null;
  meanRating: number | null;
  /** Ratings per user. */
  userActivity: ActivityQuantiles;
  /** Ratings per rated item. */
  itemActivity: ActivityQuantiles;
  /** Share of all ratings that fall on the 10% most-rated items (rounded up to whole items). */
  longTailShare: number;
  /** First and last timestamp (seconds), null without timestamps. */
  timeRange: { first: number; last: number } | null;
}

/**
 * Linear-interpolation quantile of ascending values (type 7): q = 0 is the minimum, 1 the maximum.
 * @example quantile(Int32Array.of(1, 2, 3, 4), 0.5) // 2.5
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/** Ratings per distinct id, in ascending id order. */
export function countsPerId(ids: Int32Array): Int32Array {
  let max = 0;
  for (let i = 0; i < ids.length; i++) if ((ids[i] as number) > max) max = ids[i] as number;
  if (max < 1 << 26) {
    const counts = new Int32Array(max + 1);
    for (let i = 0; i < ids.length; i++) counts[ids[i] as number] = (counts[ids[i] as number] as number) + 1;
    return counts.filter((c) => c > 0);
  }
  const map = new Map<number, number>();
  for (const id of ids) map.set(id, (map.get(id) ?? 0) + 1);
  return Int32Array.from([...map.entries()].sort((x, y) => x[0] - y[0]).map((e) => e[1]));
}

function activity(counts: Int32Array): ActivityQuantiles {
  const sorted = counts.slice().sort();
  let sum = 0;
  for (const c of sorted) sum += c;
  return {
    min: sorted[0] ?? 0,
    p25: quantile(sorted, 0.25),
    p50: quantile(sorted, 0.5),
    p75: quantile(sorted, 0.75),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? 0,
    mean: sorted.length > 0 ? sum / sorted.length : 0,
  };
}

/**
 * Statistics of a dataset's ratings (and the size of its movie table when given).
 * @example const stats = computeDatasetStats(await loadDatasetTables('ml-100k', options)); stats.users // 943
 */
export function computeDatasetStats(tables: {
  ratings: RatingsTable;
  movies?: DatasetTables['movies'];
}): DatasetStats {
  const { ratings } = tables;
  const userCounts = countsPerId(ratings.userId.subarray(0, ratings.length));
  const itemCounts = countsPerId(ratings.movieId.subarray(0, ratings.length));
  const users = userCounts.length;
  const items = itemCounts.length;
  let ratingHistogram: DatasetStats['ratingHistogram'] = null;
  let meanRating: number | null = null;
  if (ratings.rating) {
    const histogram = new Map<number, number>();
    let sum = 0;
    for (let i = 0; i < ratings.length; i++) {
      const r = ratings.rating[i] as number;
      histogram.set(r, (histogram.get(r) ?? 0) + 1);
      sum += r;
    }
    ratingHistogram = [...histogram.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([rating, count]) => ({ rating, count }));
    meanRating = ratings.length > 0 ? sum / ratings.length : null;
  }
  let timeRange: DatasetStats['timeRange'] = null;
  if (ratings.timestamp && ratings.length > 0) {
    let first = Infinity;
    let last = -Infinity;
    for (let i = 0; i < ratings.length; i++) {
      const t = ratings.timestamp[i] as number;
      if (t < first) first = t;
      if (t > last) last = t;
    }
    timeRange = { first, last };
  }
  const byPopularity = itemCounts.slice().sort().reverse();
  const head = Math.ceil(items * 0.1);
  let headRatings = 0;
  for (let i = 0; i < head; i++) headRatings += byPopularity[i] as number;
  return {
    ratings: ratings.length,
    users,
    items,
    movies: tables.movies ? tables.movies.length : null,
    sparsity: users > 0 && items > 0 ? 1 - ratings.length / (users * items) : 1,
    ratingHistogram,
    meanRating,
    userActivity: activity(userCounts),
    itemActivity: activity(itemCounts),
    longTailShare: ratings.length > 0 ? headRatings / ratings.length : 0,
    timeRange,
  };
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const num = (n: number): string => (Number.isInteger(n) ? int(n) : n.toFixed(1));

/**
 * The statistics as a plain-text table for the terminal.
 * @example process.stdout.write(formatStatsTable('ml-100k', stats));
 */
export function formatStatsTable(name: string, stats: DatasetStats): string {
  const rows: [string, string][] = [
    ['dataset', name],
    ['ratings', int(stats.ratings)],
    ['users', int(stats.users)],
    ['items (rated)', int(stats.items)],
  ];
  if (stats.movies !== null) rows.push(['movies (catalog)', int(stats.movies)]);
  rows.push(['sparsity', `${(stats.sparsity * 100).toFixed(3)}%`]);
  rows.push([
    'long-tail share',
    `${(stats.longTailShare * 100).toFixed(1)}% of ratings on the top 10% of items`,
  ]);
  if (stats.meanRating !== null) rows.push(['mean rating', stats.meanRating.toFixed(3)]);
  if (stats.timeRange) {
    const day = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
    rows.push(['time range', `${day(stats.timeRange.first)} .. ${day(stats.timeRange.last)}`]);
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  const heads = ['', 'min', 'p25', 'p50', 'p75', 'p90', 'p99', 'max', 'mean'];
  const quantileRow = (label: string, q: ActivityQuantiles): string[] => [
    label,
    ...[q.min, q.p25, q.p50, q.p75, q.p90, q.p99, q.max, q.mean].map(num),
  ];
  const grid = [
    heads,
    quantileRow('ratings/user', stats.userActivity),
    quantileRow('ratings/item', stats.itemActivity),
  ];
  const colWidths = heads.map((_, c) => Math.max(...grid.map((r) => (r[c] as string).length)));
  lines.push(
    '',
    ...grid.map((r) =>
      r
        .map((cell, c) =>
          c === 0 ? cell.padEnd(colWidths[c] as number) : cell.padStart(colWidths[c] as number),
        )
        .join('  '),
    ),
  );
  if (stats.ratingHistogram) {
    lines.push('', 'rating  count      share');
    for (const { rating, count } of stats.ratingHistogram) {
      const share = ((count / stats.ratings) * 100).toFixed(1);
      lines.push(`${rating.toFixed(1).padStart(6)}  ${int(count).padStart(9)}  ${share.padStart(5)}%`);
    }
  }
  return `${lines.join('\n')}\n`;
}
