import { z } from '../zod.js';
import type { CatalogMovie } from '../../serving/catalog.js';
import type { RecommendationService } from '../../serving/service.js';
import { defineRoute, type AnyRouteSpec } from '../route-spec.js';
import {
  INT32_MAX,
  diversityQuery,
  idParams,
  integerString,
  kQuery,
  movieListSchema,
  type MovieList,
} from '../schemas.js';

const ratingSchema = z
  .object({
    movieId: z.number().int(),
    rating: z.number().nullable().openapi({ description: 'null for implicit-only data' }),
    ratedAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('Rating');

const newRatingSchema = z
  .object({
    movieId: z.number().int().min(1).max(INT32_MAX),
    rating: z
      .number()
      .min(0.5)
      .max(5)
      .multipleOf(0.5)
      .openapi({ description: 'MovieLens stars: 0.5 to 5 in steps of 0.5' }),
  })
  .strict()
  .openapi('NewRating');

const newUserSchema = z
  .object({
    gender: z.enum(['M', 'F']).optional(),
    age: z.number().int().min(1).max(120).optional(),
    occupation: z.string().min(1).max(64).optional(),
    zip: z.string().min(1).max(16).optional(),
  })
  .strict()
  .openapi('NewUser');

const limitQuery = z.object({
  limit: integerString(1, 10_000)
    .default('1000')
    .openapi({ description: 'most ratings returned, newest first (default 1000)' }),
});

const unknownUser = { status: 404, description: 'no user with this id' };

// The service returns the same frozen list while a user's ranking is fresh; answering the same frozen body
// for it lets the router reuse the JSON it rendered (router.ts).
const bodies = new WeakMap<readonly CatalogMovie[], MovieList>();
function movieListBody(movies: readonly CatalogMovie[]): MovieList {
  let body = bodies.get(movies);
  if (!body) {
    const list = movies.map(({ id, title, genre }) => Object.freeze({ id, title, genre }));
    body = Object.freeze({ movies: Object.freeze(list) }) as MovieList;
    if (Object.isFrozen(movies)) bodies.set(movies, body);
  }
  return body;
}

/**
 * Routes of the users resource: recommendations, ratings (read and write) and sign-up.
 * @example mountRoutes(app, userRoutes(service), options);
 */
export function userRoutes(service: RecommendationService): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/users/{id}/recommendations',
      summary:
        'Top-k movies for a user, never one the user rated; `diversity` trades accuracy for less popular movies',
      tags: ['users'],
      errors: [unknownUser, { status: 503, description: 'no model loaded yet' }],
      validate: { params: idParams, query: kQuery.merge(diversityQuery), response: movieListSchema },
      handler: async ({ params, query }) =>
        movieListBody(await service.recommendForUser(params.id, query.k, query.diversity)),
    }),
    defineRoute({
      method: 'get',
      path: '/users/{id}/ratings',
      summary: "A user's ratings, newest first",
      tags: ['users'],
      errors: [unknownUser],
      validate: {
        params: idParams,
        query: limitQuery,
        response: z.object({ ratings: z.array(ratingSchema) }),
      },
      handler: async ({ params, query }) => ({
        ratings: (await service.ratingsOf(params.id)).slice(0, query.limit).map((r) => ({
          movieId: r.movieId,
          rating: r.rating,
          ratedAt: r.ratedAt?.toISOString() ?? null,
        })),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/users/{id}/ratings',
      summary: 'Rate a movie (replaces an earlier rating); the next recommendations reflect it at once',
      tags: ['users'],
      auth: true,
      status: 201,
      errors: [{ status: 404, description: 'no such user or movie' }],
      validate: {
        params: idParams,
        body: newRatingSchema,
        response: ratingSchema.extend({ userId: z.number().int() }),
      },
      handler: async ({ params, body }) => {
        const stored = await service.rate(params.id, body.movieId, body.rating);
        return {
          userId: params.id,
          movieId: stored.movieId,
          rating: stored.rating,
          ratedAt: stored.ratedAt?.toISOString() ?? null,
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/users',
      summary: 'Create a user (profile fields optional); returns the new id',
      tags: ['users'],
      auth: true,
      status: 201,
      validate: { body: newUserSchema, response: z.object({ id: z.number().int() }) },
      handler: async ({ body }) => ({ id: await service.createUser(body) }),
    }),
  ];
}
