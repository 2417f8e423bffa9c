export { createMoviesRepository, MAX_SEARCH_LIMIT, type MoviesRepository } from './movies.js';
export { createUsersRepository, type NewUser, type UsersRepository } from './users.js';
export {
  createRatingsRepository,
  validateRating,
  RATING_MIN,
  RATING_MAX,
  type NewRating,
  type RatingsRepository,
} from './ratings.js';
export { ConflictError } from './errors.js';
export type { MovieRecord, RatingRecord, UserRecord } from './types.js';
