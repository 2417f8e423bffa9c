import { NotFoundError, ValidationError } from '../../core/errors.js';
import type { Database } from '../client.js';
import { prismaErrorCode, requireId } from './errors.js';
import type { RatingRecord } from './types.js';

export interface NewRating {
  userId: number;
  movieId: number;
  /** 0.5 to 5 in half stars (MovieLens's scale). */
  rating: number;
  /** Defaults to now. */
  ratedAt?: Date;
}

export interface RatingsRepository {
  /** The user's ratings, oldest first (unknown times first), then by movie id. */
  forUser(userId: number): Promise<RatingRecord[]>;
  /** Ids of the movies the user has rated, ascending. */
  ratedMovieIds(userId: number): Promise<number[]>;
  /**
   * Adds the rating, or replaces the user's earlier rating of that movie. ValidationError for a bad rating;
   * NotFoundError when the user or the movie does not exist.
   */
  upsert(rating: NewRating): Promise<RatingRecord>;
  count(): Promise<number>;
}

/** The lowest and highest rating MovieLens uses; ratings go in half-star steps. */
export const RATING_MIN = 0.5;
export const RATING_MAX = 5;

/**
 * Validates a rating value: a number from 0.5 to 5 in steps of 0.5.
 * @example validateRating(4.5) // 4.5; validateRating(6) throws ValidationError('rating', ...)
 */
export function validateRating(value: number): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < RATING_MIN ||
    value > RATING_MAX ||
    !Number.isInteger(value * 2)
  ) {
    throw new ValidationError(
      'rating',
      `must be a number from ${RATING_MIN} to ${RATING_MAX} in steps of 0.5, got ${value}`,
    );
  }
  return value;
}

/**
 * Rating reads and writes.
 * @example await createRatingsRepository(db).upsert({ userId: 1, movieId: 50, rating: 5 });
 */
export function createRatingsRepository(db: Database): RatingsRepository {
  const select = { userId: true, movieId: true, rating: true, ratedAt: true } as const;
  return {
    forUser: async (userId) =>
      db.prisma.rating.findMany({
        where: { userId: requireId(userId, 'userId') },
        select,
        orderBy: [{ ratedAt: { sort: 'asc', nulls: 'first' } }, { movieId: 'asc' }],
      }),
    async ratedMovieIds(userId) {
      const rows = await db.prisma.rating.findMany({
        where: { userId: requireId(userId, 'userId') },
        select: { movieId: true },
        orderBy: { movieId: 'asc' },
      });
      return rows.map((r) => r.movieId);
    },
    async upsert(input) {
      const userId = requireId(input.userId, 'userId');
      const movieId = requireId(input.movieId, 'movieId');
      const rating = validateRating(input.rating);
      const ratedAt = input.ratedAt ?? new Date();
      try {
        return await db.prisma.rating.upsert({
          where: { userId_movieId: { userId, movieId } },
          create: { userId, movieId, rating, ratedAt },
          update: { rating, ratedAt },
          select,
        });
      } catch (error) {
        if (prismaErrorCode(error) !== 'P2003') throw error;
        // A foreign key failed: say which of the two ids is unknown.
        if ((await db.prisma.user.count({ where: { id: userId } })) === 0)
          throw new NotFoundError('user', userId);
        throw new NotFoundError('movie', movieId);
      }
    },
    count: () => db.prisma.rating.count(),
  };
}
