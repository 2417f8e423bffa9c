import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startApiServer, type ApiServer } from '../../src/api/serve.js';
import { silentLogger, type Logger } from '../../src/core/log.js';
import type { ModelKind } from '../../src/core/types.js';
import { loadConfig } from '../../src/config.js';
import { loadDatasetTables } from '../../src/data/load.js';
import type { DatasetTables } from '../../src/data/schema.js';
import type { Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { seedDatabase } from '../../src/db/seed.js';
import { REGISTERED_KINDS } from '../../src/models/registry.js';
import { createStore } from '../../src/storage/store.js';
import { initBackend } from '../../src/tf/backend.js';
import { trainToArtifact } from '../../src/training/pipeline.js';

/** Where the real MovieLens files are (CI clones the repository with ../shared beside it). */
export const MOVIELENS_DIR = path.resolve(process.cwd(), '..', 'shared', 'movielens');

/** The model the API tests serve: ALS (small and fast) once it is registered, item-kNN before. */
export const TEST_MODEL: ModelKind = REGISTERED_KINDS.includes('als') ? 'als' : 'itemknn';
export const TEST_HYPERPARAMETERS: Record<string, unknown> =
  TEST_MODEL === 'als' ? { factors: 8, iterations: 3 } : { neighbours: 50 };

/** A temp folder removed by the returned function. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `recsys-${prefix}-`));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** ml-100k's tables, converted into `dataDir` from ../shared. */
export function loadMl100k(dataDir: string): Promise<DatasetTables> {
  return loadDatasetTables('ml-100k', { dataDir, from: MOVIELENS_DIR });
}

/** Trains TEST_MODEL on the tables into a local store and promotes it; returns the version. */
export async function trainTestArtifact(artifactsDir: string, tables: DatasetTables): Promise<string> {
  await initBackend('auto');
  const { ref } = await trainToArtifact({
    store: createStore(artifactsDir),
    tables,
    dataset: 'ml-100k',
    kind: TEST_MODEL,
    hyperparameters: TEST_HYPERPARAMETERS,
  });
  return ref.version;
}

/**
 * The fixture most API tests start from: ml-100k converted into a temp data folder and TEST_MODEL trained and
 * promoted into a temp artifact store; `remove` deletes both folders.
 */
export async function ml100kWithArtifact(
  prefix: string,
): Promise<{ tables: DatasetTables; artifactsDir: string; remove: () => Promise<void> }> {
  const data = await tempDir(`${prefix}-data`);
  const artifacts = await tempDir(`${prefix}-artifacts`);
  const remove = async (): Promise<void> => {
    await data.remove();
    await artifacts.remove();
  };
  try {
    const tables = await loadMl100k(data.dir);
    await trainTestArtifact(artifacts.dir, tables);
    return { tables, artifactsDir: artifacts.dir, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Migrates and seeds a database with the tables. */
export async function seed(db: Database, tables: DatasetTables): Promise<void> {
  await migrate(db);
  await seedDatabase(db, tables, { dataset: 'ml-100k' });
}

/**
 * The production wiring (`startApiServer`: config -> backend -> service -> app -> listen) on 127.0.0.1 and a
 * free port, over an open database and a local artifact folder.
 */
export function startTestServer(options: {
  db: Database;
  artifactsDir: string;
  apiToken: string | undefined;
  ttlMs?: number;
  ratingsFeed?: boolean;
  watchIntervalMs?: number;
  logger?: Logger;
}): Promise<ApiServer> {
  const config = loadConfig(
    {},
    { host: '127.0.0.1', port: 0, model: TEST_MODEL, artifactsUri: options.artifactsDir, logLevel: 'silent' },
  );
  return startApiServer({
    config,
    logger: options.logger ?? silentLogger,
    apiToken: options.apiToken,
    database: options.db,
    ...(options.ttlMs !== undefined ? { userCache: { ttlMs: options.ttlMs } } : {}),
    ...(options.ratingsFeed !== undefined ? { ratingsFeed: options.ratingsFeed } : {}),
    ...(options.watchIntervalMs !== undefined ? { watchIntervalMs: options.watchIntervalMs } : {}),
  });
}

/** A parsed JSON body; tests read fields freely and let the assertions do the checking. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** GET/POST with JSON, returning status, headers and the parsed body. */
export async function call(
  url: string,
  init: {
    method?: string;
    token?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed };
}
