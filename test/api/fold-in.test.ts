import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { ApiServer } from '../../src/api/serve.js';
import { loadArtifact } from '../../src/artifacts/load.js';
import { topKRow } from '../../src/core/types.js';
import type { DatasetTables } from '../../src/data/schema.js';
import { createDatabase } from '../../src/db/client.js';
import { DEFAULT_MIGRATIONS_DIR } from '../../src/db/migrations.js';
import { migrate } from '../../src/db/migrate.js';
import { seedDatabase } from '../../src/db/seed.js';
import { createRatingsRepository } from '../../src/db/repositories/index.js';
import { silentLogger } from '../../src/core/log.js';
import { servingDataFromDatabase } from '../../src/serving/data-source.js';
import { artifactModelSource } from '../../src/serving/model-source.js';
import { createRecommendationService } from '../../src/serving/service.js';
import { createStore } from '../../src/storage/store.js';
import { describeEachEngine, dropSchema, postgresUrl, uniqueSchemaName } from '../db/support.js';
import {
  call,
  type Json,
  ml100kWithArtifact,
  seed,
  startTestServer,
  tempDir,
  TEST_MODEL,
} from './support.js';

const TOKEN = 'fold-in-test-token';

let tables: DatasetTables;
let artifactsDir: string;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const fixture = await ml100kWithArtifact('foldin');
  cleanups.push(fixture.remove);
  ({ tables, artifactsDir } = fixture);
});

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** Popularity computed here from the raw tables: positives (rating >= 4) per movie, ties to the lower id. */
function popularMovies(k: number): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < tables.ratings.length; i++) {
    if ((tables.ratings.rating?.[i] ?? 5) >= 4) {
      const id = tables.ratings.movieId[i] as number;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, k)
    .map(([id]) => id);
}

/** What the served model itself answers for a history of 5-star ratings (fold-in), as raw ids. */
async function modelAnswer(positives: number[], excluded: number[], k: number): Promise<number[]> {
  const { model } = await loadArtifact(createStore(artifactsDir), TEST_MODEL);
  try {
    const items = Int32Array.from(positives.map((id) => model.items.toDense(id)));
    const exclude = Int32Array.from(excluded.map((id) => model.items.toDense(id)).sort((a, b) => a - b));
    const top = await model.recommendForHistories(
      [{ items, values: new Float32Array(items.length).fill(1) }],
      k,
      {
        exclude: {
          nRows: 1,
          nCols: model.items.size,
          indptr: Int32Array.of(0, exclude.length),
          indices: exclude,
          values: new Float32Array(exclude.length).fill(1),
        },
      },
    );
    return topKRow(top, 0).ids.map((dense) => model.items.toRaw(dense));
  } finally {
    model.dispose();
  }
}

const ids = (body: Json): number[] => body.movies.map((m: Json) => m.id);

describeEachEngine('fold-in: ratings change recommendations at once, without retraining', (engine) => {
  let server: ApiServer;
  let url: string;

  beforeAll(async () => {
    await seed(engine.db(), tables);
    server = await startTestServer({ db: engine.db(), artifactsDir, apiToken: TOKEN, ttlMs: 0 });
    url = server.url;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('a new user gets popularity, then exactly what the model folds in from the ratings they post', async () => {
    const { body: user } = await call(`${url}/users`, { method: 'POST', token: TOKEN });
    const cold = await call(`${url}/users/${user.id}/recommendations?k=10`);
    expect(ids(cold.body)).toEqual(popularMovies(10));

    const toyStory = 1;
    const posted = await call(`${url}/users/${user.id}/ratings`, {
      method: 'POST',
      token: TOKEN,
      body: { movieId: toyStory, rating: 5 },
    });
    expect(posted.status).toBe(201);
    const warm = ids((await call(`${url}/users/${user.id}/recommendations?k=10`)).body);
    expect(warm).not.toContain(toyStory);
    expect(warm).toEqual(await modelAnswer([toyStory], [toyStory], 10));
    expect(warm).not.toEqual(ids(cold.body));

    // A low rating is not a positive, but the movie is never recommended again.
    const disliked = warm[0] as number;
    await call(`${url}/users/${user.id}/ratings`, {
      method: 'POST',
      token: TOKEN,
      body: { movieId: disliked, rating: 1 },
    });
    const after = ids((await call(`${url}/users/${user.id}/recommendations?k=10`)).body);
    expect(after).not.toContain(disliked);
    expect(after).toEqual(await modelAnswer([toyStory], [toyStory, disliked], 10));
  });

  it("a known user's posted rating changes the next recommendations and the rated movie never comes back", async () => {
    const before = ids((await call(`${url}/users/7/recommendations?k=100`)).body);
    const top = before[0] as number;
    const posted = await call(`${url}/users/7/ratings`, {
      method: 'POST',
      token: TOKEN,
      body: { movieId: top, rating: 5 },
    });
    expect(posted.status).toBe(201);
    const after = ids((await call(`${url}/users/7/recommendations?k=100`)).body);
    expect(after).toHaveLength(100);
    expect(after).not.toContain(top);
    expect(after).not.toEqual(before.slice(1));
  });

  it('ratings written to the database by another process count on the next request (cache TTL 0)', async () => {
    const before = ids((await call(`${url}/users/9/recommendations?k=5`)).body);
    await createRatingsRepository(engine.db()).upsert({ userId: 9, movieId: before[0] as number, rating: 4 });
    const after = ids((await call(`${url}/users/9/recommendations?k=5`)).body);
    expect(after).not.toContain(before[0]);
  });
});

/** Asks until the answer leaves out `movieId` (vi.waitFor: fails after `ms`); returns that answer. */
function askUntilWithout(url: string, movieId: number, ms: number): Promise<number[]> {
  return vi.waitFor(
    async () => {
      const movies = ids((await call(url)).body);
      expect(movies).not.toContain(movieId);
      return movies;
    },
    { timeout: ms, interval: 20 },
  );
}

describeEachEngine('ratings change feed: out-of-band writes reach cached recommendations', (engine) => {
  const TEN_MINUTES = 600_000;
  let followed: ApiServer;
  let unfollowed: ApiServer;

  beforeAll(async () => {
    await seed(engine.db(), tables);
    followed = await startTestServer({ db: engine.db(), artifactsDir, apiToken: TOKEN, ttlMs: TEN_MINUTES });
    unfollowed = await startTestServer({
      db: engine.db(),
      artifactsDir,
      apiToken: TOKEN,
      ttlMs: TEN_MINUTES,
      ratingsFeed: false,
    });
  });

  afterAll(async () => {
    await followed?.close();
    await unfollowed?.close();
  });

  it('a rating written by another writer leaves the cached answer within moments, with a 10-minute TTL', async () => {
    const ask = `${followed.url}/users/12/recommendations?k=5`;
    const before = ids((await call(ask)).body);
    expect(ids((await call(ask)).body)).toEqual(before); // answered from the cache
    const top = before[0] as number;
    // Written as another replica would: straight to the database, not through this server.
    await createRatingsRepository(engine.db()).upsert({ userId: 12, movieId: top, rating: 2 });
    const after = await askUntilWithout(ask, top, 5_000);
    expect(after).not.toContain(top);
    expect(after).toHaveLength(5);
  });

  it('without the feed the same write stays invisible until the TTL runs out (what the feed fixes)', async () => {
    const ask = `${unfollowed.url}/users/13/recommendations?k=5`;
    const before = ids((await call(ask)).body);
    // Both servers hold user 13 in their caches before the write.
    expect(ids((await call(`${followed.url}/users/13/recommendations?k=5`)).body)).toEqual(before);
    await createRatingsRepository(engine.db()).upsert({
      userId: 13,
      movieId: before[0] as number,
      rating: 2,
    });
    // The followed server sees it; the one without the feed still answers from its cache.
    const seen = await askUntilWithout(
      `${followed.url}/users/13/recommendations?k=5`,
      before[0] as number,
      5_000,
    );
    expect(seen).not.toContain(before[0]);
    expect(ids((await call(ask)).body)).toEqual(before);
  });
});

it('a service started on a database without the feed migration follows the feed once it is migrated', async () => {
  const schema = uniqueSchemaName('feed_late');
  const db = await createDatabase({ databaseUrl: postgresUrl(schema), pgliteDir: '' });
  const onlyInit = await tempDir('feed-late-migrations');
  const service = createRecommendationService({
    data: servingDataFromDatabase(db),
    models: artifactModelSource(createStore(artifactsDir), TEST_MODEL),
    logger: silentLogger,
    userCache: { ttlMs: 600_000 },
    feedRetryMs: 50,
    watch: false,
  });
  try {
    await fs.cp(
      path.join(DEFAULT_MIGRATIONS_DIR, '20261125120000_init'),
      path.join(onlyInit.dir, '20261125120000_init'),
      {
        recursive: true,
      },
    );
    await fs.cp(
      path.join(DEFAULT_MIGRATIONS_DIR, 'migration_lock.toml'),
      path.join(onlyInit.dir, 'migration_lock.toml'),
    );
    await migrate(db, { migrationsDir: onlyInit.dir });
    await seedDatabase(db, tables, { dataset: 'ml-100k' });
    await service.start(); // no feed yet: it warns and keeps trying
    const ratings = createRatingsRepository(db);
    const first = (await service.recommendForUser(21, 5)).map((m) => m.id);
    await ratings.upsert({ userId: 21, movieId: first[0] as number, rating: 2 });
    // Without the feed the cached answer stands (TTL 10 min)...
    expect((await service.recommendForUser(21, 5)).map((m) => m.id)).toEqual(first);
    // ...and once the schema has the feed, the service picks it up and sees the next out-of-band write.
    await migrate(db);
    const second = (await service.recommendForUser(22, 5)).map((m) => m.id);
    // The feed starts listening within moments (retry every 50 ms): write again until a write is reported.
    await vi.waitFor(
      async () => {
        await ratings.upsert({ userId: 22, movieId: second[0] as number, rating: 2 });
        const after = (await service.recommendForUser(22, 5)).map((m) => m.id);
        expect(after).not.toContain(second[0]);
      },
      { timeout: 5_000, interval: 50 },
    );
  } finally {
    await service.close();
    await db.close();
    await dropSchema(schema);
    await onlyInit.remove();
  }
});
