import type { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/log.js';
import { loadConfig, processEnv, type Config } from '../config.js';

/**
 * Parses commander's options with a zod schema; the first problem is a ValidationError naming the flag as
 * the user typed it (commander's `halfStars` is `--half-stars`).
 * @example const options = parseOptions(z.object({ k: z.coerce.number().int().min(1) }), raw);
 */
export function parseOptions<T extends z.ZodTypeAny>(schema: T, raw: unknown): z.infer<T> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const flag = String(issue?.path[0] ?? 'option').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new ValidationError(`--${flag}`, issue?.message ?? 'invalid');
  }
  return result.data as z.infer<T>;
}

/**
 * The configuration (environment plus flag overrides) and the logger it asks for: what every command starts
 * with.
 * @example const { config, logger } = cliSetup({ dataDir: options.dataDir });
 */
export function cliSetup(overrides: Partial<Record<keyof Config, unknown>> = {}): {
  config: Config;
  logger: Logger;
} {
  const config = loadConfig(processEnv(), overrides);
  return { config, logger: createLogger({ level: config.logLevel, json: config.logFormat === 'json' }) };
}

/**
 * Hyperparameters given on the command line, plus `workers` from RECSYS_WORKERS for a model that trains on
 * worker threads and was not given the flag.
 * @example const given = withConfiguredWorkers(factory.defaults, { factors: 32 }, config);
 */
export function withConfiguredWorkers(
  defaults: Readonly<Record<string, unknown>>,
  given: Record<string, unknown>,
  config: Config,
): Record<string, unknown> {
  return 'workers' in defaults && given.workers === undefined ? { ...given, workers: config.workers } : given;
}
