import { z } from '../zod.js';
import type { RecommendationService } from '../../serving/service.js';
import { defineRoute, type AnyRouteSpec } from '../route-spec.js';
import { idParams, integerString, kQuery, movieListSchema, movieSchema } from '../schemas.js';

const searchQuery = z.object({
  search: z.string().max(200).optional().openapi({ description: 'part of the title, any case' }),
  limit: integerString(1, 100)
    .default('20')
    .openapi({ description: 'most movies returned, 1 to 100 (default 20)' }),
});

const unknownMovie = { status: 404, description: 'no movie with this id' };

/**
 * Routes of the movies resource: one movie, similar movies, title search.
 * @example mountRoutes(app, movieRoutes(service), options);
 */
export function movieRoutes(service: RecommendationService): AnyRouteSpec[] {
  const brief = ({ id, title, genre }: { id: number; title: string; genre: string }) => ({
    id,
    title,
    genre,
  });
  return [
    defineRoute({
      method: 'get',
      path: '/movies',
      summary: 'Search movies by title, most rated first',
      tags: ['movies'],
      validate: { query: searchQuery, response: movieListSchema },
      handler: ({ query }) => ({ movies: service.searchMovies(query.search ?? '', query.limit).map(brief) }),
    }),
    defineRoute({
      method: 'get',
      path: '/movies/{id}',
      summary: 'One movie',
      tags: ['movies'],
      errors: [unknownMovie],
      validate: {
        params: idParams,
        response: movieSchema.extend({ year: z.number().int().nullable() }).openapi('MovieDetail'),
      },
      handler: ({ params }) => {
        const { id, title, genre, year } = service.movie(params.id);
        return { id, title, genre, year };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/movies/{id}/similar',
      summary:
        "The k movies most similar to one: support-aware co-rating cosine over the served model's training positives (RECSYS_SIMILAR=model: the model's own)",
      tags: ['movies'],
      errors: [unknownMovie, { status: 503, description: 'no model loaded yet' }],
      validate: { params: idParams, query: kQuery, response: movieListSchema },
      handler: async ({ params, query }) => ({
        movies: (await service.similarMovies(params.id, query.k)).map(brief),
      }),
    }),
  ];
}
