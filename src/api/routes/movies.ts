import { z } from '../zod.js';
import type { RecommendationService } from '../../serving/service.js';
import { defineRoute, type AnyRouteSpec } from '../route-spec.js';
import { idParams, integerString, kQuery, movieDetailSchema, movieListSchema } from '../schemas.js';

const searchQuery = z.object({
  search: z.string().max(200).optional().openapi({ description: 'part of the title, any case' }),
  genre: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: 'only movies of this genre (a name from GET /genres, e.g. Comedy)' }),
  limit: integerString(1, 100)
    .default('20')
    .openapi({ description: 'most movies returned, 1 to 100 (default 20)' }),
});

const newMovieSchema = z
  .object({
    title: z.string().min(1).max(300).openapi({ example: 'Arrival (2016)' }),
    genres: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(20)
      .openapi({ description: 'MovieLens genre names (GET /genres)', example: ['Drama', 'Sci-Fi'] }),
    year: z.number().int().min(1800).max(2200).optional(),
  })
  .strict()
  .openapi('NewMovie');

const genreListSchema = z
  .object({ genres: z.array(z.object({ name: z.string(), count: z.number().int() }).openapi('Genre')) })
  .openapi('GenreList');

const unknownMovie = { status: 404, description: 'no movie with this id' };

/**
 * Routes of the movies resource: one movie, similar movies, search (title, genre), adding a movie, genres.
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
      summary: 'Search movies by title and/or genre, most rated first',
      tags: ['movies'],
      validate: { query: searchQuery, response: movieListSchema },
      handler: ({ query }) => ({
        movies: service.searchMovies(query.search ?? '', query.limit, query.genre).map(brief),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/movies',
      summary:
        'Add a movie (next free id); recommendable at once through its genres until the next training (docs/api.md)',
      tags: ['movies'],
      auth: true,
      status: 201,
      validate: { body: newMovieSchema, response: movieDetailSchema },
      handler: async ({ body }) => {
        const { id, title, genre, year } = await service.createMovie(body);
        return { id, title, genre, year };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/genres',
      summary: "The catalogue's genres with how many movies have each, by name",
      tags: ['movies'],
      validate: { response: genreListSchema },
      handler: () => ({ genres: service.genres() }),
    }),
    defineRoute({
      method: 'get',
      path: '/movies/{id}',
      summary: 'One movie',
      tags: ['movies'],
      errors: [unknownMovie],
      validate: {
        params: idParams,
        response: movieDetailSchema,
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
