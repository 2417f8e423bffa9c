/**
 * The recommendation service's contract (what the API, the CLI and tests call) and its options; the
 * implementation is service.ts.
 */
import type { CatalogMovie } from './catalog.js';
import type { ModelSource, NewMovie, NewUserProfile, RatedMovie, ServingData } from './ports.js';
import type { Logger } from '../core/log.js';
import type { SimilarSourceName } from './similar-source.js';
import type { VisitorRequest } from './visitor.js';

export interface RecommendationServiceOptions {
  data: ServingData;
  models: ModelSource;
  logger: Logger;
  /**
   * Users' ratings and rankings kept in memory: default 50,000 users, trusted for DEFAULT_USER_CACHE_TTL_MS,
   * or LIVE_FEED_USER_CACHE_TTL_MS while the database's ratings change feed is live.
   */
  userCache?: { capacity?: number; ttlMs?: number; liveFeedTtlMs?: number };
  /** Follow the database's ratings change feed when the data source has one (default true). */
  ratingsFeed?: boolean;
  /** Wait before trying again to follow a feed that would not start (default 30,000 ms). */
  feedRetryMs?: number;
  /** Poll the `current` pointer every this many ms (default 5,000; 0: no polling, fs.watch only). */
  watchIntervalMs?: number;
  /** Watch for newly promoted artifacts at all (default true). */
  watch?: boolean;
  /** What similar movies are answered with (similar-source.ts; default 'co-rating', RECSYS_SIMILAR). */
  similar?: SimilarSourceName;
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
  /**
   * Top-k movies for a user from the ratings the database holds now; 404 for an unknown user. `diversity`
   * (0..1, default 0) re-ranks the MAX_K-deep ranking with src/models/diversity.ts.
   */
  recommendForUser(userId: number, k: number, diversity?: number): Promise<readonly CatalogMovie[]>;
  /**
   * Top-k movies for a visitor from liked movies and genres (cold-start.ts); ValidationError naming
   * `movies` or `genres` for unknown ones.
   */
  recommendForPicks(request: VisitorRequest & { k: number; diversity?: number }): Promise<CatalogMovie[]>;
  /**
   * The k movies most similar to one; 404 for an unknown movie; for a movie the model does not know (added
   * after training), movies of the same genres (new-movies.ts).
   */
  similarMovies(movieId: number, k: number): Promise<CatalogMovie[]>;
  movie(movieId: number): CatalogMovie;
  /** Title search, most rated first; `genre` (ValidationError naming it when unknown) filters. */
  searchMovies(text: string, limit: number, genre?: string): CatalogMovie[];
  /** The catalogue's genres with how many movies have each, by name. */
  genres(): { name: string; count: number }[];
  /**
   * Adds a movie (next free id) to the database and, at once, to the catalogue; recommendable through its
   * genres until the next training (new-movies.ts). ValidationError naming `title` or `genres`.
   */
  createMovie(movie: NewMovie): Promise<CatalogMovie>;
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
