import { z } from '../zod.js';
import type { RecommendationService } from '../../serving/service.js';
import { defineRoute, type AnyRouteSpec } from '../route-spec.js';
import { diversityString, integerString, movieListSchema } from '../schemas.js';

const picksQuery = z.object({
  movies: z
    .string()
    .max(1200)
    .regex(/^(?:[0-9]{1,10}(?:,[0-9]{1,10})*)?$/, {
      message: 'must be movie ids separated by commas, e.g. 1,260,2571',
    })
    .optional()
    .openapi({
      description: 'liked movies, MovieLens ids separated by commas (at most 50)',
      example: '1,260',
    }),
  genres: z
    .string()
    .max(1200)
    .regex(/^(?:[^,]+(?:,[^,]+)*)?$/, {
      message: 'must be genre names separated by commas, e.g. Comedy,Sci-Fi',
    })
    .optional()
    .openapi({ description: 'genre names separated by commas (GET /genres)', example: 'Comedy,Sci-Fi' }),
  k: integerString(1, 100).default('10').openapi({ description: 'how many movies, 1 to 100 (default 10)' }),
  diversity: diversityString(),
});

const list = (value: string | undefined): string[] => (value ? value.split(',') : []);

/**
 * Recommendations for a visitor without an account (issue 15.1): from a few liked movies and genres.
 * @example mountRoutes(app, recommendationRoutes(service), options);
 */
export function recommendationRoutes(service: RecommendationService): AnyRouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/recommendations',
      summary:
        'Top-k movies for a visitor from liked movies (folded in as 5-star ratings) and genres (popular within them, blended by reciprocal rank); never a liked movie',
      tags: ['recommendations'],
      errors: [{ status: 503, description: 'no model loaded yet' }],
      validate: { query: picksQuery, response: movieListSchema },
      handler: async ({ query }) => {
        const movies = await service.recommendForPicks({
          movies: list(query.movies).map(Number),
          genres: list(query.genres),
          k: query.k,
          diversity: query.diversity,
        });
        return { movies: movies.map(({ id, title, genre }) => ({ id, title, genre })) };
      },
    }),
  ];
}
