import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './core/errors.js';
import { DATASET_NAMES, MODEL_KINDS, type DatasetName, type ModelKind } from './core/types.js';
import { locationProblem } from './storage/store.js';

/** Backends the tf layer can be forced to; 'auto' tries them in order of speed. */
export const TF_BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

// Empty strings count as missing, so `FOO= cmd` behaves like an unset FOO.
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());
const withDefault = <T extends z.ZodTypeAny>(schema: T, value: z.input<T>) =>
  z.preprocess((v) => (v === '' || v === undefined ? value : v), schema);

// A path, file:// URL or gs://bucket/prefix (src/storage/store.ts); anything else fails naming the variable.
const location = z.string().superRefine((value, ctx) => {
  const problem = locationProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const schema = z.object({
  dataset: withDefault(z.enum(DATASET_NAMES), 'ml-1m'),
  movielensDir: z.preprocess((v) => (v === '' ? undefined : v), location.optional()),
  dataDir: withDefault(location, './data'),
  artifactsUri: withDefault(location, './artifacts'),
  /** Local folder for copies of gs:// data; unset: `<data dir>/cache`, or `<tmp>/recsys-cache` for gs://. */
  cacheDir: optionalString,
  databaseUrl: optionalString,
  pgliteDir: optionalString,
  host: withDefault(z.string(), '0.0.0.0'),
  port: withDefault(z.coerce.number().int().min(0).max(65535), 8080),
  apiToken: optionalString,
  /** Unset: `defaultModelFor(dataset)`. */
  model: z.preprocess((v) => (v === '' ? undefined : v), z.enum(MODEL_KINDS).optional()),
  tfBackend: withDefault(z.enum(TF_BACKENDS), 'auto'),
  workers: withDefault(
    z.coerce.number().int().min(1).max(64),
    Math.max(1, Math.min(os.availableParallelism(), 8)),
  ),
  logLevel: withDefault(z.enum(['debug', 'info', 'warn', 'error', 'silent']), 'info'),
  logFormat: withDefault(z.enum(['text', 'json']), 'text'),
  /** After SIGTERM: /ready answers 503 while the server keeps answering this long, then it closes. */
  shutdownDelayMs: withDefault(z.coerce.number().int().min(0).max(600_000), 0),
  gcsEndpoint: optionalString,
  /** Similar movies: 'co-rating' (support-aware co-rating cosine, src/serving/similar-source.ts) or 'model'. */
  similar: withDefault(z.enum(['co-rating', 'model']), 'co-rating'),
});

export type Config = Omit<z.infer<typeof schema>, 'model' | 'cacheDir'> & {
  model: ModelKind;
  cacheDir: string;
  /**
   * A local folder for what only this machine keeps (the generated API token): the data dir, or `./data`
   * when the data dir is gs:// (a token must never be written to a folder literally named `gs:`).
   */
  localStateDir: string;
};

/**
 * The datasets whose catalogue is under EASE's default item limit (10,000): ml-100k 1,682 movies, ml-1m 3,706,
 * ml-latest-small 9,742. EASE beats ALS under the seed protocol on all three (docs/benchmarks.md), so it is
 * the product's model there; the larger catalogues (ml-10m 10,681, ml-20m 26,744, ml-25m 59,047, ml-latest)
 * keep ALS, whose cost grows with the ratings rather than with the square of the catalogue.
 */
export const EASE_DEFAULT_DATASETS: readonly DatasetName[] = ['ml-100k', 'ml-1m', 'ml-latest-small'];

/**
 * The model `RECSYS_MODEL` defaults to for a dataset: EASE for the catalogues under its item limit, ALS above.
 * @example defaultModelFor('ml-1m'); // 'ease'
 */
export function defaultModelFor(dataset: DatasetName): ModelKind {
  return EASE_DEFAULT_DATASETS.includes(dataset) ? 'ease' : 'als';
}

/** Environment variables and the Config field each one sets (README documents the same table). */
export const ENV_VARS: Record<string, keyof Config> = {
  RECSYS_DATASET: 'dataset',
  MOVIELENS_DIR: 'movielensDir',
  RECSYS_DATA_DIR: 'dataDir',
  RECSYS_CACHE_DIR: 'cacheDir',
  RECSYS_ARTIFACTS: 'artifactsUri',
  DATABASE_URL: 'databaseUrl',
  RECSYS_PGLITE_DIR: 'pgliteDir',
  HOST: 'host',
  PORT: 'port',
  RECSYS_API_TOKEN: 'apiToken',
  RECSYS_MODEL: 'model',
  RECSYS_TF_BACKEND: 'tfBackend',
  RECSYS_WORKERS: 'workers',
  LOG_LEVEL: 'logLevel',
  LOG_FORMAT: 'logFormat',
  RECSYS_SHUTDOWN_DELAY_MS: 'shutdownDelayMs',
  STORAGE_EMULATOR_HOST: 'gcsEndpoint',
  RECSYS_SIMILAR: 'similar',
};

/**
 * Parses configuration once from an environment (pure: pass `process.env` from the entry point) and flag
 * overrides, which win over the environment. Throws ConfigError naming the variable.
 * @example const config = loadConfig(process.env, { port: 9000 });
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<Record<keyof Config, unknown>> = {},
): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) raw[key] = env[name];
  for (const [key, value] of Object.entries(overrides)) if (value !== undefined) raw[key] = value;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    const envName = Object.entries(ENV_VARS).find(([, k]) => k === key)?.[0] ?? key;
    throw new ConfigError(envName, issue?.message ?? 'invalid');
  }
  const config = parsed.data;
  // A gs:// data dir has no local folder: the cache and PGlite default to local ones.
  const remote = /^gs:\/\//i.test(config.dataDir);
  return {
    ...config,
    model: config.model ?? defaultModelFor(config.dataset),
    cacheDir:
      config.cacheDir ??
      (remote ? path.join(os.tmpdir(), 'recsys-cache') : path.join(config.dataDir, 'cache')),
    pgliteDir: config.pgliteDir ?? path.join(remote ? './data' : config.dataDir, 'pglite'),
    localStateDir: remote ? './data' : config.dataDir,
  };
}

/** The process environment: the one place that reads process.env. */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
