import { NotFoundError, ValidationError } from '../core/errors.js';
import { topKRow } from '../core/types.js';
import { createCatalog, type Catalog, type CatalogMovie } from './catalog.js';
import { checkGenres } from './cold-start.js';
import { ModelNotLoadedError } from './errors.js';
import { ModelSlot } from './model-slot.js';
import { watchPointer } from './pointer-watch.js';
import { createPopularityRanking, type PopularityRanking } from './popularity.js';
import type { NewMovie, ServableModel } from './ports.js';
import { createNewMoviePlacement } from './new-movie-placement.js';
import { similarByGenre } from './new-movies.js';
import { createRankBatcher } from './rank-batcher.js';
import { similarItemsOf } from './similar-source.js';
import { createUserRankings, MAX_K } from './user-rankings.js';
import { diversityContext, rankVisitor } from './visitor.js';
import { diversify } from '../models/diversity.js';
import type {
  ModelDescription,
  RecommendationService,
  RecommendationServiceOptions,
  ReloadResult,
} from './service-types.js';

export { DEFAULT_USER_CACHE_TTL_MS, LIVE_FEED_USER_CACHE_TTL_MS, MAX_K } from './user-rankings.js';

export type {
  ModelDescription,
  RecommendationService,
  RecommendationServiceOptions,
  ReloadResult,
} from './service-types.js';

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
  let catalog: Catalog = createCatalog([]);
  let popularity: PopularityRanking = createPopularityRanking([]);
  // Bumped when a movie is added: cached rankings are recomputed (new-movies.ts places it).
  let epoch = 0;
  const placement = createNewMoviePlacement(() => catalog);
  const rankings = createUserRankings({
    data,
    slot,
    logger,
    kind: models.kind,
    catalog: () => catalog,
    popularity: () => popularity,
    newMovies: placement,
    epoch: () => epoch,
    ...options.userCache,
  });
  const visitorBatcher = createRankBatcher(MAX_K);
  // Reloads run one at a time. A call made while one runs queues one more, which reads the pointer only
  // after the call (joining the running one could answer with a version read before the pointer moved);
  // calls made while one is queued share it.
  let lastReload: Promise<unknown> = Promise.resolve();
  let queuedReload: Promise<ReloadResult> | undefined;
  let watcher: { close(): void } | undefined;
  let feed: { close(): Promise<void> } | undefined;
  let feedRetry: NodeJS.Timeout | undefined;
  let closed = false;
  const feedRetryMs = options.feedRetryMs ?? 30_000;

  /**
   * Follows the ratings change feed. Without one the cache keeps its plain TTL; when it cannot start (a
   * database not migrated yet, a connection refused) it is tried again every `feedRetryMs`.
   */
  async function followRatingChanges(): Promise<void> {
    if (options.ratingsFeed === false || !data.watchRatings || closed) return;
    try {
      const subscription = await data.watchRatings({
        change: (change) => rankings.noteChange(change),
        listening: (live) => {
          rankings.setFeedLive(live);
          if (live) logger.info('ratings change feed is back');
          else
            logger.warn('ratings change feed lost; cached ratings fall back to their TTL until it is back');
        },
      });
      if (closed) {
        await subscription.close();
        return;
      }
      feed = subscription;
      rankings.setFeedLive(true);
    } catch (error) {
      logger.warn(
        'no ratings change feed (is the database migrated? recsys db migrate); cached ratings are trusted ' +
          `for their TTL only; trying again in ${feedRetryMs / 1000} s`,
        { error: error instanceof Error ? error.message : String(error) },
      );
      feedRetry = setTimeout(() => void followRatingChanges(), feedRetryMs);
      feedRetry.unref();
    }
  }

  const describe = (m: ServableModel): ModelDescription => ({
    kind: m.kind,
    version: m.version,
    loadedAt: m.loadedAt.toISOString(),
  });

  // Movies posted through this service. A reload whose read of the movies table began before such a post
  // committed would otherwise drop the new movie from the catalogue (404s) until the next reload.
  const createdHere = new Map<number, CatalogMovie>();
  // Posts of new movies run one at a time, so two posts of one title cannot both pass the duplicate check.
  let movieWrites: Promise<unknown> = Promise.resolve();

  async function refreshCatalog(minRating: number | 'none'): Promise<void> {
    const [movies, counts] = await Promise.all([
      data.movies(),
      data.positiveCounts(minRating === 'none' ? Number.NEGATIVE_INFINITY : minRating),
    ]);
    const ranked = createPopularityRanking(counts);
    const read = new Set(movies.map((m) => m.id));
    const missed = [...createdHere.values()].filter((m) => !read.has(m.id));
    catalog = createCatalog(missed.length > 0 ? [...movies, ...missed] : movies, ranked.countOf);
    popularity = ranked;
  }

  function withModel<T>(fn: (loaded: ServableModel) => Promise<T>): Promise<T> {
    const lease = slot.acquire();
    if (!lease) return Promise.reject(new ModelNotLoadedError(models.kind));
    return fn(lease.loaded).finally(() => lease.release());
  }

  // One frozen list per (ranking, k): a ranking is replaced, never changed, when ratings or the model change,
  // so callers (the API renders a frozen body once) can rely on the same list while it stays fresh.
  const listsByRanking = new WeakMap<readonly number[], Map<number, readonly CatalogMovie[]>>();
  function topMovies(ids: readonly number[], k: number): readonly CatalogMovie[] {
    let byK = listsByRanking.get(ids);
    if (!byK) listsByRanking.set(ids, (byK = new Map()));
    let list = byK.get(k);
    if (!list) byK.set(k, (list = Object.freeze(ids.slice(0, k).map(movieOrThrow))));
    return list;
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
    // Who rated the movies this model does not know yet (their item fold-in, item-fold-in.ts).
    placement.setRaters((await data.ratingsOfMovies?.(placement.newMovies(next))) ?? []);
    const previous = slot.swap(next);
    logger.info('model loaded', { kind: next.kind, version, previous: previous?.version ?? null });
    return { changed: true, previous: previous?.version ?? null, model: describe(next) };
  }

  async function addMovie(movie: NewMovie): Promise<CatalogMovie> {
    const title = movie.title.trim();
    if (title === '') throw new ValidationError('title', 'must not be empty');
    if (movie.genres.length === 0) throw new ValidationError('genres', 'give at least one genre');
    const genres = checkGenres(movie.genres, catalog);
    const key = title.toLowerCase();
    const same = catalog.all().find((m) => m.title.trim().toLowerCase() === key);
    if (same) throw new ValidationError('title', `movie ${same.id} already has the title "${same.title}"`);
    const created = await data.createMovie({ title, genre: genres.join('|'), year: movie.year ?? null });
    createdHere.set(created.id, created);
    catalog = createCatalog([...catalog.all(), created], popularity.countOf);
    epoch += 1;
    logger.info('movie added', { id: created.id, genre: created.genre });
    return created;
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
      await followRatingChanges();
      if (options.watch ?? true) {
        watcher = watchPointer({
          folder: models.watchFolder(),
          intervalMs: options.watchIntervalMs ?? 5_000,
          check: async () => void (await service.reload()),
          logger,
        });
      }
    },

    async recommendForUser(userId, k, diversity = 0) {
      // Under load nearly every request finds a fresh ranking and never touches the model.
      const ids = rankings.cached(userId) ?? (await rankings.compute(userId));
      if (diversity === 0) return topMovies(ids, k);
      const liked = await rankings.likedOf(userId);
      const context = diversityContext(catalog, popularity);
      return diversify({ ranked: ids, k, diversity, context, history: liked }).map(movieOrThrow);
    },

    async recommendForPicks({ movies, genres, k, diversity = 0 }) {
      return withModel(async (loaded) => {
        const deps = { catalog, popularity, newMovies: placement, depth: MAX_K };
        const { ids, picks } = await rankVisitor(
          loaded,
          { movies, genres },
          { ...deps, batcher: visitorBatcher },
        );
        const context = diversityContext(deps.catalog, deps.popularity);
        return diversify({ ranked: ids, k, diversity, context, history: picks }).map(
          (id) => deps.catalog.get(id) ?? movieOrThrow(id),
        );
      });
    },

    async similarMovies(movieId, k) {
      movieOrThrow(movieId);
      return withModel(async ({ model }) => {
        const dense = model.items.toDense(movieId);
        if (dense < 0) return similarByGenre(movieId, Math.min(k, MAX_K), catalog, popularity);
        const similarItems = similarItemsOf(model, options.similar ?? 'co-rating');
        const top = await similarItems(Int32Array.of(dense), Math.min(k, MAX_K));
        return topKRow(top, 0)
          .ids.map((item) => catalog.get(model.items.toRaw(item)))
          .filter((movie): movie is CatalogMovie => movie !== undefined);
      });
    },

    movie: movieOrThrow,

    searchMovies(text, limit, genre) {
      if (genre !== undefined) checkGenres([genre], catalog, 'genre');
      return catalog.search(text, limit, genre);
    },

    genres: () => [...catalog.genreCounts()].map(([name, count]) => ({ name, count })),

    createMovie(movie) {
      const run = movieWrites.catch(() => undefined).then(() => addMovie(movie));
      movieWrites = run;
      return run;
    },

    async ratingsOf(userId) {
      await rankings.ensureUser(userId);
      return data.ratingsOf(userId);
    },

    async rate(userId, movieId, rating) {
      movieOrThrow(movieId);
      await rankings.ensureUser(userId);
      try {
        const stored = await data.rate(userId, movieId, rating);
        // A rating of a new movie moves its item vector: everyone's ranking may change.
        if (placement.noteRating(slot.current, userId, movieId, stored.rating)) epoch += 1;
        return stored;
      } finally {
        rankings.noteWrite(userId);
      }
    },

    async createUser(profile) {
      const id = await data.createUser(profile);
      rankings.noteUser(id);
      return id;
    },

    reload() {
      if (queuedReload) return queuedReload;
      const run = lastReload
        .catch(() => undefined)
        .then(() => {
          queuedReload = undefined;
          return reloadOnce();
        });
      queuedReload = run;
      lastReload = run;
      return run;
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
      closed = true;
      watcher?.close();
      if (feedRetry) clearTimeout(feedRetry);
      await feed?.close();
      await lastReload.catch(() => undefined);
      slot.clear();
      rankings.clear();
    },
  };
  return service;
}
