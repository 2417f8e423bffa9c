import { NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Catalog } from './catalog.js';
import { ModelNotLoadedError } from './errors.js';
import { likedMovies, prepareHistory } from './history.js';
import type { NewMoviePlacement } from './new-movie-placement.js';
import type { ModelSlot } from './model-slot.js';
import type { PopularityRanking } from './popularity.js';
import type { RatingsChange } from '../db/ratings-feed.js';
import type { RatingValue, ServableModel, ServingData } from './ports.js';
import { createRankBatcher } from './rank-batcher.js';
import { UserCache, type UserState } from './user-cache.js';

/** The most movies one request can ask for; rankings are computed (and cached) this deep once per user. */
export const MAX_K = 100;

/**
 * How long a user's ratings read from the database (and the ranking computed from them) are reused while the
 * database's ratings change feed is not live (down, or a data source without one). Ratings posted through
 * this service count at once whatever the TTL; it only bounds how late a rating written by another process
 * (another replica, a batch job) shows up. At 1 s, 610 users under bench:api load missed the cache on ~20%
 * of requests (220 µs of server CPU per request against 130 µs at a steady hit rate).
 */
export const DEFAULT_USER_CACHE_TTL_MS = 5_000;

/**
 * How long cached ratings are trusted while the change feed is live: every change is then reported at once,
 * so this only bounds the damage of a change the feed cannot see (triggers disabled by a bulk tool). Cached
 * users are then re-read every 5-10 minutes instead of every 2.5-5 s: under bench:api the re-reads of 610
 * users cost ~10 µs of server CPU per request, and in production they grow with active users, not writes.
 */
export const LIVE_FEED_USER_CACHE_TTL_MS = 10 * 60_000;

export interface UserRankingsOptions {
  data: ServingData;
  slot: ModelSlot;
  logger: Logger;
  /** The configured model kind (error messages before any model is loaded). */
  kind: string;
  /** The catalog and popularity ranking in force (they are replaced on reload). */
  catalog: () => Catalog;
  popularity: () => PopularityRanking;
  /** Places movies added after training in each ranking (new-movie-placement.ts); default none. */
  newMovies?: NewMoviePlacement;
  /** Bumped when rankings must be recomputed without a model change (a movie added); default 0. */
  epoch?: () => number;
  capacity?: number;
  /** TTL without a live change feed (default DEFAULT_USER_CACHE_TTL_MS; 0: no caching at all). */
  ttlMs?: number;
  /** TTL while the change feed is live (default LIVE_FEED_USER_CACHE_TTL_MS; never below ttlMs). */
  liveFeedTtlMs?: number;
  /** The cache's clock in ms (default `performance.now`); tests drive TTLs with it. */
  now?: () => number;
}

/**
 * Each user's ranked movie ids (MAX_K deep) for the model serving now: ratings read from the database in one
 * query, cached with a TTL, refreshed ahead of expiry off the request path, and re-ranked only when the
 * ratings or the model changed. Writes through `noteWrite` invalidate at once.
 * @example const ids = rankings.cached(1) ?? (await rankings.compute(1));
 */
export interface UserRankings {
  /** The ranking if a fresh one exists for the current model (the hot path: no await, no model). */
  cached(userId: number): readonly number[] | undefined;
  /** Reads (if needed) and ranks; NotFoundError for an unknown user, ModelNotLoadedError without a model. */
  compute(userId: number): Promise<readonly number[]>;
  /** The movies the user likes now (positives under the serving model's history policy), raw ids. */
  likedOf(userId: number): Promise<number[]>;
  /** NotFoundError unless the user exists. */
  ensureUser(userId: number): Promise<void>;
  /** A user that now exists (created through the service). */
  noteUser(userId: number): void;
  /** Call around a write of the user's ratings: the next request reads them again. */
  noteWrite(userId: number): void;
  /** Ratings changed elsewhere (the change feed): those users, or everyone, are read again when next asked. */
  noteChange(change: RatingsChange): void;
  /**
   * The change feed is live (true: cached ratings are trusted for the live-feed TTL) or down (false: back to
   * the plain TTL). Going live marks everything stale, since changes made while it was down were not reported.
   */
  setFeedLive(live: boolean): void;
  clear(): void;
}

export function createUserRankings(options: UserRankingsOptions): UserRankings {
  const { data, slot, logger } = options;
  const ttlMs = options.ttlMs ?? DEFAULT_USER_CACHE_TTL_MS;
  // No caching stays no caching: a TTL of 0 means every request reads the database.
  const liveTtlMs = ttlMs > 0 ? Math.max(ttlMs, options.liveFeedTtlMs ?? LIVE_FEED_USER_CACHE_TTL_MS) : 0;
  const cache = new UserCache({
    capacity: options.capacity ?? 50_000,
    ttlMs,
    ...(options.now ? { now: options.now } : {}),
  });
  const knownUsers = new Set<number>();
  const refreshing = new Set<number>();
  // The read in flight per user. A write or a reported change for the user removes its entry, which is how
  // the read learns (when it lands) that what it read may be older than that change.
  const loading = new Map<number, { promise: Promise<UserState> }>();
  // Rankings in flight, per state object and model version: keyed by the object itself, since the cache
  // rewrites a state's `fetchedAt` when it expires it (a key built from it would change under the request).
  const ranking = new WeakMap<UserState, Map<string, Promise<readonly number[]>>>();
  const batcher = createRankBatcher(MAX_K);
  const epoch = options.epoch ?? (() => 0);
  // The key a cached ranking must carry to be served: the model version, and the epoch once it moved.
  const keyOf = (loaded: ServableModel): string => {
    const e = epoch();
    return e === 0 ? loaded.version : `${loaded.version}#${e}`;
  };

  function userState(userId: number, reread = false): Promise<UserState> {
    const cached = reread ? undefined : cache.get(userId);
    if (cached) return Promise.resolve(cached);
    const pending = loading.get(userId);
    if (pending) return pending.promise;
    const read = {} as { promise: Promise<UserState> };
    read.promise = (async () => {
      const previous = cache.previous(userId);
      const ratings = await data.historyOf(userId);
      if (ratings === null) throw new NotFoundError('user', userId);
      knownUsers.add(userId);
      const state: UserState = { ratings, fetchedAt: cache.time() };
      // Same ratings as last time: the ranking still holds, so re-reading costs one query and no model work.
      if (previous?.ranked && sameRatings(previous.ratings, ratings)) state.ranked = previous.ranked;
      // A write of this user's ratings that landed while we read may be missing from what we read: answer the
      // requests that waited for this read, but do not keep it. Writes for other users do not matter.
      if (loading.get(userId) === read) cache.set(userId, state);
      return state;
    })().finally(() => {
      if (loading.get(userId) === read) loading.delete(userId);
    });
    loading.set(userId, read);
    return read.promise;
  }

  async function rank(
    loaded: ServableModel,
    userId: number,
    ratings: readonly RatingValue[],
  ): Promise<number[]> {
    const { model, historyPolicy } = loaded;
    const catalog = options.catalog();
    const history = prepareHistory(ratings, model.items, historyPolicy);
    const out: number[] = [];
    const taken = new Set<number>(history.rated);
    if (history.positives) {
      // Trained factors when the ratings are those of training, fold-in otherwise; batched with the
      // requests that arrive alongside.
      const items = await batcher.rank(loaded, userId, { ...history, positives: history.positives });
      for (const item of items) {
        const movieId = model.items.toRaw(item);
        if (!taken.has(movieId) && catalog.has(movieId)) {
          out.push(movieId);
          taken.add(movieId);
        }
      }
    }
    // Cold users get popularity; short rankings are topped up with it.
    if (out.length < MAX_K) {
      for (const movieId of options.popularity().top(MAX_K - out.length, taken)) {
        if (catalog.has(movieId)) out.push(movieId);
      }
    }
    const placement = options.newMovies;
    if (!placement || placement.newMovies(loaded).length === 0) return out;
    // Movies added after training (new-movie-placement.ts).
    const liked = likedMovies(ratings, loaded.historyPolicy);
    return [
      ...placement.place({
        loaded,
        userId,
        history,
        ranked: out,
        liked,
        genres: [],
        exclude: history.rated,
        depth: MAX_K,
      }),
    ];
  }

  function rankingFor(loaded: ServableModel, userId: number, state: UserState): Promise<readonly number[]> {
    const key = keyOf(loaded);
    if (state.ranked?.version === key) return Promise.resolve(state.ranked.ids);
    let byVersion = ranking.get(state);
    if (!byVersion) {
      byVersion = new Map();
      ranking.set(state, byVersion);
    }
    const pending = byVersion.get(key);
    if (pending) return pending;
    const inFlight = byVersion;
    const computed = rank(loaded, userId, state.ratings)
      .then((ids) => {
        state.ranked = { version: key, ids };
        return ids;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, computed);
    return computed;
  }

  async function withLease<T>(fn: (loaded: ServableModel) => Promise<T>): Promise<T> {
    const lease = slot.acquire();
    if (!lease) throw new ModelNotLoadedError(options.kind);
    try {
      return await fn(lease.loaded);
    } finally {
      lease.release();
    }
  }

  /**
   * Re-reads a user whose cached ratings are past half their TTL, off the request path, so users asked for
   * often never meet an expired entry (no periodic bursts of misses, no latency spikes).
   */
  function refreshAhead(userId: number): void {
    if (refreshing.has(userId)) return;
    refreshing.add(userId);
    void userState(userId, true)
      .then((state) => withLease((loaded) => rankingFor(loaded, userId, state)))
      .catch((error: unknown) =>
        logger.debug('refresh ahead failed', {
          userId,
          error: error instanceof Error ? error.message : String(error),
        }),
      )
      .finally(() => refreshing.delete(userId));
  }

  /**
   * Like a write, but the entries stay as `previous`: a re-read that finds the same ratings keeps its ranking
   * (our own writes come back through the feed too).
   */
  function noteChange(change: RatingsChange): void {
    if (change === 'all') {
      cache.expireAll();
      loading.clear();
      return;
    }
    for (const userId of change.users) {
      cache.expire(userId);
      loading.delete(userId);
    }
  }

  return {
    cached(userId) {
      const state = cache.get(userId);
      const ranked = state?.ranked;
      const current = slot.current;
      if (!state || !ranked || !current || ranked.version !== keyOf(current)) return undefined;
      if (cache.isAging(state)) refreshAhead(userId);
      return ranked.ids;
    },
    async compute(userId) {
      const state = await userState(userId);
      return withLease((loaded) => rankingFor(loaded, userId, state));
    },
    async likedOf(userId) {
      const state = await userState(userId);
      return withLease(async (loaded) => likedMovies(state.ratings, loaded.historyPolicy));
    },
    async ensureUser(userId) {
      if (knownUsers.has(userId)) return;
      if (!(await data.userExists(userId))) throw new NotFoundError('user', userId);
      knownUsers.add(userId);
    },
    noteUser: (userId) => void knownUsers.add(userId),
    noteWrite(userId) {
      cache.invalidate(userId);
      // A read started before the write must not answer requests made after it, nor be kept.
      loading.delete(userId);
    },
    noteChange,
    setFeedLive(live) {
      // Changes made while the feed was down were never reported.
      if (live) noteChange('all');
      cache.setTtl(live ? liveTtlMs : ttlMs);
    },
    clear: () => cache.clear(),
  };
}

function sameRatings(a: readonly RatingValue[], b: readonly RatingValue[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]?.movieId !== b[i]?.movieId || a[i]?.rating !== b[i]?.rating) return false;
  }
  return true;
}
