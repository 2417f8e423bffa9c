import { z } from './zod.js';

/** The largest id PostgreSQL's `integer` holds; MovieLens ids are int32 everywhere. */
export const INT32_MAX = 2_147_483_647;

/**
 * A whole number arriving as a string (path or query), between `min` and `max`. Rejects signs, decimals,
 * exponents, hex and spaces (which `Number()` would accept), so "-1", "1.5", "1e3" and "abc" all fail with a
 * message the error middleware prefixes with the field's name.
 * @example const k = integerString(1, 100).optional().default('10');
 */
export function integerString(min: number, max: number) {
  return z
    .string()
    .transform((text, ctx) => {
      const value = /^[0-9]{1,12}$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isInteger(value) || value < min || value > max) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `must be a whole number from ${min} to ${max}, got "${text.slice(0, 32)}"`,
        });
        return z.NEVER;
      }
      return value;
    })
    .openapi({ type: 'integer', minimum: min, maximum: max });
}

/** Path parameter `{id}` of users and movies. */
export const idParams = z.object({
  id: integerString(1, INT32_MAX).openapi({ description: 'MovieLens id' }),
});

/** `?k=` of the ranked routes: 1..100, default 10. */
export const kQuery = z.object({
  k: integerString(1, 100)
    .optional()
    .transform((k) => k ?? 10)
    .openapi({ description: 'how many movies, 1 to 100 (default 10)' }),
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
