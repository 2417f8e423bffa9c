/**
 * ALS hyperparameters: the zod schema (strict, every field defaulted, strings from the CLI coerced) and the
 * solver settings derived from them.
 */
import { z } from 'zod';
import type { AlsSolveSettings } from './als-solve.js';

const booleanInput = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/**
 * The hyperparameters `alsFactory.parseHyperparameters` accepts; defaults are the seed project's settings
 * (64 factors, regularization 0.01, 20 iterations) with implicit's alpha 1 and 3 CG steps.
 * @example const h = alsSchema.parse({ factors: '32', solver: 'cholesky' });
 */
export const alsSchema = z
  .object({
    factors: z.coerce.number().int().min(1).max(1024).default(64),
    regularization: z.coerce.number().min(0).default(0.01),
    /** Confidence scale: c = alpha * r (or 1 + alpha * r). */
    alpha: z.coerce.number().positive().default(1),
    iterations: z.coerce.number().int().min(1).max(10_000).default(20),
    /** Conjugate-gradient steps per row and half-step (implicit's cg_steps). */
    cgSteps: z.coerce.number().int().min(1).max(1024).default(3),
    solver: z.enum(['cg', 'cholesky']).default('cg'),
    confidence: z.enum(['alpha-r', 'one-plus-alpha-r']).default('alpha-r'),
    /** Explicit ratings (weighted-lambda ALS, reports RMSE) instead of implicit confidence. */
    explicit: booleanInput.default(false),
    /** Most rows solved per batch. */
    batchSize: z.coerce
      .number()
      .int()
      .min(1)
      .max(1 << 20)
      .default(512),
    /** Threads solving half-steps: 1 = this thread, n > 1 = n worker threads with a backend each. */
    workers: z.coerce.number().int().min(1).max(64).default(1),
    seed: z.coerce.number().int().default(42),
  })
  .strict();

export type AlsHyperparameters = z.output<typeof alsSchema>;

/**
 * What the half-step solver needs of the hyperparameters.
 * @example const settings = solveSettings(alsSchema.parse({ factors: 32 }));
 */
export function solveSettings(h: AlsHyperparameters): AlsSolveSettings {
  return {
    factors: h.factors,
    regularization: h.regularization,
    solver: h.solver,
    cgSteps: h.cgSteps,
    explicit: h.explicit,
    alpha: h.alpha,
    confidence: h.confidence,
  };
}
