import { z } from './zod.js';

/** The largest id PostgreSQL's `integer` holds; MovieLens ids are int32 everywhere. */
export const INT32_MAX = 2_147_483_647;

/**
 * A whole number arriving as a string (path or query), between `min` and `max`. Rejects signs, decimals,
 * exponents, hex and spaces (which `Number()` would accept), so "-1", "1.5", "1e3" and "abc" all fail with a
 * message the error answer prefixes with the field's name.
 *
 * Built from checks and a pipe, never `.transform()`/`.refine()`: zod 3 evaluates an object literal with a
 * getter for every effect it runs, and V8 gives each such object a map of its own in old space whose getter
 * (a young closure over the parse context) keeps the whole parse alive through every scavenge until the next
 * full GC. One transform per request made scavenges 10-20x longer under `npm run bench:api` (a third of the
 * young generation promoted each time); see docs/architecture.md.
 * @example const k = integerString(1, 100).default('10');
 */
export function integerString(min: number, max: number) {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^[0-9]{1,12}$/, { message })
    .pipe(z.coerce.number().int().min(min, { message }).max(max, { message }))
    .openapi({ type: 'integer', minimum: min, maximum: max });
}

/** Path parameter `{id}` of users and movies. */
export const idParams = z.object({
  id: integerString(1, INT32_MAX).openapi({ description: 'MovieLens id' }),
});

/** `?k=` of the ranked routes: 1..100, default 10. */
export const kQuery = z.object({
  k: integerString(1, 100).default('10').openapi({ description: 'how many movies, 1 to 100 (default 10)' }),
});

/** A movie as every list of movies shows it: MovieLens id, title, pipe-joined genre string. */
export const movieSchema = z
  .object({
    id: z.number().int(),
    title: z.string(),
    genre: z.string().openapi({ example: 'Comedy|Drama' }),
  })
  .strict()
  .openapi('Movie', { example: { id: 2858, title: 'American Beauty (1999)', genre: 'Comedy|Drama' } });

/** `{"movies":[...]}`, the body of recommendations, similar movies and search. */
export const movieListSchema = z.object({ movies: z.array(movieSchema) }).openapi('MovieList');
export type MovieList = z.infer<typeof movieListSchema>;

/** The body of every error answer. */
export const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'VALIDATION' }),
      message: z.string(),
      field: z.string().optional().openapi({ example: 'k' }),
    }),
  })
  .openapi('Error');

/**
 * `?diversity=` of the recommendation routes: a decimal from 0 to 1 (default 0, the model's own order).
 * Checked by pattern then range, like integerString (no effects).
 * @example const q = z.object({ diversity: diversityString() });
 */
export function diversityString() {
  const message = 'must be a number from 0 to 1';
  return z
    .string()
    .regex(/^(?:[01](?:\.[0-9]{1,6})?|\.[0-9]{1,6})$/, { message })
    .pipe(z.coerce.number().min(0, { message }).max(1, { message }))
    .default('0')
    .openapi({
      type: 'number',
      minimum: 0,
      maximum: 1,
      description:
        "0..1 (default 0): re-ranks the model's 100 best toward less popular movies (src/models/diversity.ts); 0 is the model's order",
    });
}

/** `?diversity=` alone, for routes that add it to their own query. */
export const diversityQuery = z.object({ diversity: diversityString() });

/** A movie with its year (one movie, a movie just added). */
export const movieDetailSchema = movieSchema
  .extend({ year: z.number().int().nullable() })
  .openapi('MovieDetail');
