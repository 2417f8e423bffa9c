import { NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { topKRow } from '../core/types.js';
import { createCatalog, type Catalog, type CatalogMovie } from './catalog.js';
import { ModelNotLoadedError } from './errors.js';
import { prepareHistory } from './history.js';
import { ModelSlot } from './model-slot.js';
import { watchPointer } from './pointer-watch.js';
import { createPopularityRanking, type PopularityRanking } from './popularity.js';
import type {
  ModelSource,
  NewUserProfile,
  RatedMovie,
  RatingValue,
  ServableModel,
  ServingData,
} from './ports.js';
import { createRankBatcher } from './rank-batcher.js';
import { UserCache, type UserState } from './user-cache.js';

/** The most movies one request can ask for; rankings are computed (and cached) this deep once per user. */
export const MAX_K = 100;

/**
 * How long a user's ratings read from the database (and the ranking computed from them) are reused. Ratings
 * posted through this service count at once whatever the TTL; it only bounds how late a rating written by
 * another process (another replica, a batch job) shows up. At 1 s, 610 users under bench:api load missed
 * the cache on ~20% of requests (220 µs of server CPU per request against 130 µs at a steady hit rate).
 */
export const DEFAULT_USER_CACHE_TTL_MS = 5_000;

export interface RecommendationServiceOptions {
  data: ServingData;
  models: ModelSource;
  logger: Logger;
  /** Users' ratings and rankings kept in memory (default 50,000 users, DEFAULT_USER_CACHE_TTL_MS). */
  userCache?: { capacity?: number; ttlMs?: number };
  /** Poll the `current` pointer every this many ms (default 5,000; 0: no polling, fs.watch only). */
  watchIntervalMs?: number;
  /** Watch for newly promoted artifacts at all (default true). */
  watch?: boolean;
}

/** What identifies the model answering now. */
export interface ModelDescription {
  kind: string;
  version: string;
  loadedAt: string;
}

export interface ReloadResult {
  changed: boolean;
  previous: string | null;
  model: ModelDescription | null;
}

export interface RecommendationService {
  /** Loads the catalog, the popularity ranking and the current model, and starts watching the pointer. */
  start(): Promise<void>;
  /** Top-k movies for a user from the ratings the database holds now; 404 for an unknown user. */
  recommendForUser(userId: number, k: number): Promise<CatalogMovie[]>;
  /** The k movies most similar to one; 404 for an unknown movie, [] for one the model has not seen. */
  similarMovies(movieId: number, k: number): Promise<CatalogMovie[]>;
  movie(movieId: number): CatalogMovie;
  searchMovies(text: string, limit: number): CatalogMovie[];
  ratingsOf(userId: number): Promise<RatedMovie[]>;
  /** Stores a rating; the user's next recommendations reflect it (fold-in, no retraining). */
  rate(userId: number, movieId: number, rating: number): Promise<RatedMovie>;
  createUser(profile: NewUserProfile): Promise<number>;
  /** Loads the version `current` names if it differs from the loaded one, and swaps it in. */
  reload(): Promise<ReloadResult>;
  model(): ModelDescription | undefined;
  readiness(): Promise<{ database: boolean; model: boolean }>;
  /** Stops watching; the model is disposed once in-flight requests release it. */
  close(): Promise<void>;
}

/**
 * The recommendation service the API calls: the movie catalog in memory, the current artifact's model held
 * in a hot-swappable slot, users' ratings read from the database (cached briefly, invalidated by writes made
 * through it), fold-in of histories that differ from training, and popularity for users with none.
 * @example
 * const service = createRecommendationService({ data: servingDataFrom(db), models: artifactModelSource(store, 'als'), logger });
 * await service.start();
 * const movies = await service.recommendForUser(1, 10);
 */
export function createRecommendationService(options: RecommendationServiceOptions): RecommendationService {
  const { data, models, logger } = options;
  const slot = new ModelSlot({
    onDisposed: (old) => logger.debug('model disposed', { kind: old.kind, version: old.version }),
  });
  const cache = new UserCache({
    capacity: options.userCache?.capacity ?? 50_000,
    ttlMs: options.userCache?.ttlMs ?? DEFAULT_USER_CACHE_TTL_MS,
  });
  const knownUsers = new Set<number>();
  const loading = new Map<number, Promise<UserState>>();
  const ranking = new Map<string, Promise<readonly number[]>>();
  const batcher = createRankBatcher(MAX_K);
  let writes = 0;
  let catalog: Catalog = createCatalog([]);
  let popularity: PopularityRanking = createPopularityRanking([]);
  let reloading: Promise<ReloadResult> | undefined;
  let watcher: { close(): void } | undefined;

  const describe = (m: ServableModel): ModelDescription => ({
    kind: m.kind,
    version: m.version,
    loadedAt: m.loadedAt.toISOString(),
  });

  async function refreshCatalog(minRating: number | 'none'): Promise<void> {
    const [movies, counts] = await Promise.all([
      data.movies(),
      data.positiveCounts(minRating === 'none' ? Number.NEGATIVE_INFINITY : minRating),
    ]);
    const ranked = createPopularityRanking(counts);
    catalog = createCatalog(movies, ranked.countOf);
    popularity = ranked;
  }

  async function userState(userId: number): Promise<UserState> {
    const cached = cache.get(userId);
    if (cached) return cached;
    const pending = loading.get(userId);
    if (pending) return pending;
    const writesBefore = writes;
    const load = (async () => {
      const ratings = await data.historyOf(userId);
      if (ratings === null) throw new NotFoundError('user', userId);
      knownUsers.add(userId);
      const state: UserState = { ratings, fetchedAt: cache.time() };
      // A write that landed while we read may be missing from what we read: use it once, do not keep it.
      if (writes === writesBefore) cache.set(userId, state);
      return state;
    })().finally(() => loading.delete(userId));
    loading.set(userId, load);
    return load;
  }

  async function ensureUser(userId: number): Promise<void> {
    if (knownUsers.has(userId)) return;
    if (!(await data.userExists(userId))) throw new NotFoundError('user', userId);
    knownUsers.add(userId);
  }

  async function rank(
    loaded: ServableModel,
    userId: number,
    ratings: readonly RatingValue[],
  ): Promise<number[]> {
    const { model, historyPolicy } = loaded;
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
      for (const movieId of popularity.top(MAX_K - out.length, taken)) {
        if (catalog.has(movieId)) out.push(movieId);
      }
    }
    return out;
  }

  function rankingFor(loaded: ServableModel, userId: number, state: UserState): Promise<readonly number[]> {
    if (state.ranked?.version === loaded.version) return Promise.resolve(state.ranked.ids);
    const key = `${loaded.version}:${userId}:${state.fetchedAt}`;
    const pending = ranking.get(key);
    if (pending) return pending;
    const computed = rank(loaded, userId, state.ratings)
      .then((ids) => {
        state.ranked = { version: loaded.version, ids };
        return ids;
      })
      .finally(() => ranking.delete(key));
    ranking.set(key, computed);
    return computed;
  }

  function withModel<T>(fn: (loaded: ServableModel) => Promise<T>): Promise<T> {
    const lease = slot.acquire();
    if (!lease) return Promise.reject(new ModelNotLoadedError(models.kind));
    return fn(lease.loaded).finally(() => lease.release());
  }

  function movieOrThrow(movieId: number): CatalogMovie {
    const movie = catalog.get(movieId);
    if (!movie) throw new NotFoundError('movie', movieId);
    return movie;
  }

  async function reloadOnce(): Promise<ReloadResult> {
    const version = await models.currentVersion();
    const current = slot.current;
    if (version === null || version === current?.version) {
      return {
        changed: false,
        previous: current?.version ?? null,
        model: current ? describe(current) : null,
      };
    }
    const next = await models.load(version);
    await refreshCatalog(next.historyPolicy.threshold);
    const previous = slot.swap(next);
    logger.info('model loaded', { kind: next.kind, version, previous: previous?.version ?? null });
    return { changed: true, previous: previous?.version ?? null, model: describe(next) };
  }

  const service: RecommendationService = {
    async start() {
      // A missing or damaged artifact leaves the service up but not ready (503s, /ready false) until a good
      // one is promoted, rather than crash-looping.
      const result = await service.reload().catch((error: unknown) => {
        logger.error('model load failed', { error: error instanceof Error ? error.message : String(error) });
        return undefined;
      });
      if (!result?.model) {
        await refreshCatalog(4);
        logger.warn('no model loaded; recommendations answer 503 until an artifact is promoted', {
          kind: models.kind,
        });
      }
      if (options.watch ?? true) {
        watcher = watchPointer({
          folder: models.watchFolder(),
          intervalMs: options.watchIntervalMs ?? 5_000,
          check: async () => void (await service.reload()),
          logger,
        });
      }
    },

    async recommendForUser(userId, k) {
      // The common case under load: a fresh ranking for the model serving now. No lease is needed, since
      // nothing touches the model.
      const cached = cache.get(userId);
      const ranked = cached?.ranked;
      if (ranked && ranked.version === slot.current?.version) return ranked.ids.slice(0, k).map(movieOrThrow);
      const state = cached ?? (await userState(userId));
      return withModel(async (loaded) => {
        const ids = await rankingFor(loaded, userId, state);
        return ids.slice(0, k).map(movieOrThrow);
      });
    },

    async similarMovies(movieId, k) {
      movieOrThrow(movieId);
      return withModel(async ({ model }) => {
        const dense = model.items.toDense(movieId);
        if (dense < 0) return [];
        const top = await model.similarItems(Int32Array.of(dense), Math.min(k, MAX_K));
        return topKRow(top, 0)
          .ids.map((item) => catalog.get(model.items.toRaw(item)))
          .filter((movie): movie is CatalogMovie => movie !== undefined);
      });
    },

    movie: movieOrThrow,

    searchMovies: (text, limit) => catalog.search(text, limit),

    async ratingsOf(userId) {
      await ensureUser(userId);
      return data.ratingsOf(userId);
    },

    async rate(userId, movieId, rating) {
      movieOrThrow(movieId);
      await ensureUser(userId);
      writes++;
      const stored = await data.rate(userId, movieId, rating);
      writes++;
      cache.invalidate(userId);
      // A read started before the write must not answer requests made after it.
      loading.delete(userId);
      return stored;
    },

    async createUser(profile) {
      const id = await data.createUser(profile);
      knownUsers.add(id);
      return id;
    },

    reload() {
      // One reload at a time; callers during one share its result.
      reloading ??= reloadOnce().finally(() => {
        reloading = undefined;
      });
      return reloading;
    },

    model: () => (slot.current ? describe(slot.current) : undefined),

    async readiness() {
      const database = await Promise.race([
        data.ping().then(
          () => true,
          () => false,
        ),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref()),
      ]);
      return { database, model: slot.current !== undefined };
    },

    async close() {
      watcher?.close();
      await reloading?.catch(() => undefined);
      slot.clear();
      cache.clear();
    },
  };
  return service;
}
