/**
 * The API serving the models whose fold-in is their own (RECSYS_MODEL=ease: history x B; RECSYS_MODEL=neural:
 * Adam steps on the new user's vector): a new user's posted rating is folded in at once, and what the API
 * answers is exactly the loaded model's ranking for that history, with the rated movie never recommended; a
 * visitor's picks on GET /recommendations likewise.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/api/serve.js';
import { loadArtifact } from '../../src/artifacts/load.js';
import { silentLogger } from '../../src/core/log.js';
import { topKRow } from '../../src/core/types.js';
import { loadConfig } from '../../src/config.js';
import { createStore } from '../../src/storage/store.js';
import { initBackend } from '../../src/tf/backend.js';
import { trainToArtifact } from '../../src/training/pipeline.js';
import type { DatasetTables } from '../../src/data/schema.js';
import type { ModelKind } from '../../src/core/types.js';
import { describeEachEngine } from '../db/support.js';
import { call, type Json, loadMl100k, seed, tempDir } from './support.js';

const TOKEN = 'model-serving-token';
/** The served kinds, with settings small enough for a quick fit. */
const SERVED: { kind: ModelKind; hyperparameters: Record<string, unknown> }[] = [
  { kind: 'ease', hyperparameters: {} },
  { kind: 'neural', hyperparameters: { epochs: 5 } },
];
let tables: DatasetTables;
let artifactsDir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const data = await tempDir('ease-data');
  const artifacts = await tempDir('ease-artifacts');
  cleanups.push(data.remove, artifacts.remove);
  artifactsDir = artifacts.dir;
  tables = await loadMl100k(data.dir);
  await initBackend('auto');
  for (const { kind, hyperparameters } of SERVED) {
    await trainToArtifact({
      store: createStore(artifactsDir),
      tables,
      dataset: 'ml-100k',
      kind,
      hyperparameters,
    });
  }
}, 300_000);

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

const ids = (body: Json): number[] => body.movies.map((m: Json) => m.id);

/** The served artifact's own answer for a history of liked movies (raw ids), the liked ones excluded. */
async function modelAnswer(kind: ModelKind, liked: number[], k: number): Promise<number[]> {
  const { model } = await loadArtifact(createStore(artifactsDir), kind);
  try {
    expect(model.kind).toBe(kind);
    const items = Int32Array.from(liked.map((id) => model.items.toDense(id)));
    const top = await model.recommendForHistories([{ items }], k);
    return topKRow(top, 0).ids.map((dense) => model.items.toRaw(dense));
  } finally {
    model.dispose();
  }
}

for (const { kind } of SERVED) {
  describeEachEngine(`API serving RECSYS_MODEL=${kind}`, (engine) => {
    let server: ApiServer;

    beforeAll(async () => {
      await seed(engine.db(), tables);
      const config = loadConfig(
        { RECSYS_MODEL: kind },
        { host: '127.0.0.1', port: 0, artifactsUri: artifactsDir, logLevel: 'silent' },
      );
      expect(config.model).toBe(kind);
      server = await startApiServer({
        config,
        logger: silentLogger,
        apiToken: TOKEN,
        database: engine.db(),
        userCache: { ttlMs: 0 },
      });
    }, 120_000);

    afterAll(async () => {
      await server?.close();
    });

    it("folds in a posted rating: the next answer is the loaded artifact's own for that history", async () => {
      const { body: user } = await call(`${server.url}/users`, { method: 'POST', token: TOKEN });
      const starWars = 50;
      const posted = await call(`${server.url}/users/${user.id}/ratings`, {
        method: 'POST',
        token: TOKEN,
        body: { movieId: starWars, rating: 5 },
      });
      expect(posted.status).toBe(201);
      const warm = ids((await call(`${server.url}/users/${user.id}/recommendations?k=10`)).body);
      expect(warm).toHaveLength(10);
      expect(warm).not.toContain(starWars);
      expect(warm).toEqual(await modelAnswer(kind, [starWars], 10));
    });

    it("a visitor's picks (GET /recommendations) are ranked by the same fold-in, picks never back", async () => {
      const picks = [1, 50, 181];
      const response = await call(`${server.url}/recommendations?movies=${picks.join(',')}&k=10`);
      expect(response.status).toBe(200);
      expect(ids(response.body)).toEqual(await modelAnswer(kind, picks, 10));
      for (const pick of picks) expect(ids(response.body)).not.toContain(pick);
    });

    it('a known user gets recommendations without their rated movies', async () => {
      const response = await call(`${server.url}/users/7/recommendations?k=20`);
      expect(response.status).toBe(200);
      const rated = new Set(
        Array.from(tables.ratings.userId.keys())
          .filter((i) => tables.ratings.userId[i] === 7)
          .map((i) => tables.ratings.movieId[i]),
      );
      const movies = ids(response.body);
      expect(movies).toHaveLength(20);
      for (const id of movies) expect(rated.has(id)).toBe(false);
    });
  });
}
