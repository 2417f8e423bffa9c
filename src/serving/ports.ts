import type { ModelKind } from '../core/types.js';
import type { CsrMatrix } from '../dataset/types.js';
import type { RatingsFeedHandlers } from '../db/ratings-feed.js';
import type { Recommender } from '../models/types.js';
import type { CatalogMovie } from './catalog.js';

/**
 * What the recommendation service needs from the outside, as two small interfaces: the database side
 * (`ServingData`, built from the db layer's repositories in `data-source.ts`) and the artifact side
 * (`ModelSource`, built from the artifacts layer in `model-source.ts`). The service itself holds no SQL and no
 * file formats.
 */

/** What ranking needs of one rating. */
export interface RatingValue {
  movieId: number;
  /** Null for implicit-only data (ml-1m's interactions file). */
  rating: number | null;
}

/** One rating of a user, as stored. */
export interface RatedMovie extends RatingValue {
  ratedAt: Date | null;
}

/** Optional profile fields of a new user (MovieLens's demographics). */
export interface NewUserProfile {
  gender?: 'M' | 'F';
  age?: number;
  occupation?: string;
  zip?: string;
}

/** A movie to add to the catalogue (`POST /movies`). */
export interface NewMovie {
  title: string;
  /** MovieLens genre names, at least one. */
  genres: readonly string[];
  year?: number | null;
}

export interface ServingData {
  /** Every movie of the catalog. */
  movies(): Promise<CatalogMovie[]>;
  /** Per movie, how many ratings count as positive (rating >= minRating, or any implicit one). */
  positiveCounts(minRating: number): Promise<{ movieId: number; count: number }[]>;
  userExists(userId: number): Promise<boolean>;
  /**
   * The movies a user rated and the ratings, or null when the user does not exist: the hot path of every
   * recommendation, so one round trip and nothing else.
   */
  historyOf(userId: number): Promise<RatingValue[] | null>;
  /** A user's ratings with their times, newest first. */
  ratingsOf(userId: number): Promise<RatedMovie[]>;
  /** Stores (or replaces) a rating; returns it as stored. */
  rate(userId: number, movieId: number, rating: number): Promise<RatedMovie>;
  /** Every rating of these movies (the raters of movies added after training). */
  ratingsOfMovies?(
    movieIds: readonly number[],
  ): Promise<{ movieId: number; userId: number; rating: number | null }[]>;
  /** Stores a movie with the next free id; returns it as stored. */
  createMovie(movie: { title: string; genre: string; year: number | null }): Promise<CatalogMovie>;
  /** Creates a user with the next free id; returns the id. */
  createUser(profile: NewUserProfile): Promise<number>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  /**
   * Subscribes to changes of anyone's ratings made by any writer (another replica, a batch job, psql).
   * Absent, caches can only bound staleness with their TTL.
   */
  watchRatings?(handlers: RatingsFeedHandlers): Promise<{ close(): Promise<void> }>;
}

/** How the training turned ratings into the values the model consumed (the artifact's `training` record). */
export interface HistoryPolicy {
  /** Ratings below it were left out of training; 'none' kept all. */
  threshold: number | 'none';
  weighting: 'binary' | 'linear' | 'log' | 'rating';
  alpha: number;
  eps: number;
  plusOne: boolean;
}

/** A model loaded from an artifact, with what serving needs beside it. */
export interface ServableModel {
  readonly model: Recommender;
  readonly kind: ModelKind;
  readonly version: string;
  readonly loadedAt: Date;
  /** Every item each training user rated (rows = model.users, dense), when the artifact has it. */
  readonly seen: CsrMatrix | null;
  readonly historyPolicy: HistoryPolicy;
}

export interface ModelSource {
  readonly kind: ModelKind;
  /** The version the `current` pointer names, or null when there is none. */
  currentVersion(): Promise<string | null>;
  /** Loads and verifies a version completely. */
  load(version: string): Promise<ServableModel>;
  /** A local folder whose changes may mean a new `current` (watched with fs.watch), or null for remote stores. */
  watchFolder(): string | null;
}
