import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiMetrics } from '../../src/api/metrics.js';
import { requestContext } from '../../src/api/middleware/request-context.js';
import { mountRoutes } from '../../src/api/mount-routes.js';
import { webRoutes, type WebPageOptions } from '../../src/api/routes/web.js';
import { buildWebPage, WASM_FILES, webPageStale } from '../../src/api/web-build.js';
import { silentLogger } from '../../src/core/log.js';
import { createGcsStore } from '../../src/storage/gcs.js';
import { createStore } from '../../src/storage/store.js';
import { startFakeGcs, type FakeGcs } from '../support/fake-gcs.js';
import { call, ml100kWithArtifact, tempDir, TEST_MODEL } from '../api/support.js';

/**
 * The web page's routes over real HTTP: the artifact files the page loads, read through a local store and a
 * gs:// store (the fake GCS server); what `/web/models` offers and why not; the built page and its absence;
 * and the esbuild build itself.
 */

async function serve(options: WebPageOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const app = new Koa();
  app.use(
    requestContext(silentLogger, createApiMetrics(() => undefined).observe, { bodyLimitBytes: 16_384 }),
  );
  mountRoutes(app, webRoutes(options), { bodyLimitBytes: 16_384, apiToken: undefined });
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function bytesOf(url: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

describe('web routes', () => {
  let artifactsDir = '';
  let version = '';
  let gcs: FakeGcs;
  let pageDir = '';
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    const fixture = await ml100kWithArtifact('web-routes');
    cleanups.push(fixture.remove);
    artifactsDir = fixture.artifactsDir;
    version = (await readFile(path.join(artifactsDir, TEST_MODEL, 'current'), 'utf8')).trim();
    // The same artifact in a gs:// store.
    gcs = await startFakeGcs();
    cleanups.push(() => gcs.close());
    const remote = createGcsStore('gs://recsys-web/artifacts', { endpoint: gcs.endpoint });
    const folder = path.join(artifactsDir, TEST_MODEL, version);
    for (const name of await readdir(folder)) {
      await remote.write(`${TEST_MODEL}/${version}/${name}`, await readFile(path.join(folder, name)));
    }
    await remote.writePointer(`${TEST_MODEL}/current`, version);
    const page = await tempDir('web-page');
    cleanups.push(page.remove);
    pageDir = page.dir;
    await writeFile(path.join(pageDir, 'index.html'), '<!doctype html><title>recsys</title>');
    await writeFile(path.join(pageDir, 'app.js'), 'console.log(1);');
  }, 300_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  for (const where of ['local', 'gs://'] as const) {
    it(`serves the artifact files the page loads from a ${where} store, and nothing else`, async () => {
      const store =
        where === 'local'
          ? createStore(artifactsDir)
          : createGcsStore('gs://recsys-web/artifacts', { endpoint: gcs.endpoint });
      const server = await serve({ store, page: { dir: pageDir }, servedKind: TEST_MODEL });
      try {
        const { status, body } = await call(`${server.url}/web/models`);
        expect(status).toBe(200);
        const manifest = JSON.parse(
          await readFile(path.join(artifactsDir, TEST_MODEL, version, 'manifest.json'), 'utf8'),
        ) as { files: Record<string, { bytes: number }> };
        const pageBytes = Object.entries(manifest.files)
          .filter(([name]) => /^(state|movies)/.test(name))
          .reduce((sum, [, file]) => sum + file.bytes, 0);
        expect(body.models).toEqual([
          {
            kind: TEST_MODEL,
            version,
            served: true,
            bytes: pageBytes,
            offered: true,
            training: expect.objectContaining({ threshold: 4 }),
          },
        ]);
        const base = `${server.url}/web/artifacts/${TEST_MODEL}/${version}`;
        for (const name of ['state.json', 'state-shard1of1.bin', 'movies.json']) {
          const file = await bytesOf(`${base}/${name}`);
          expect(file.status).toBe(200);
          expect(file.bytes.equals(await readFile(path.join(artifactsDir, TEST_MODEL, version, name)))).toBe(
            true,
          );
        }
        // The Layers graph and the manifest are not what the page loads; other versions and kinds are refused.
        expect((await call(`${base}/model.json`)).status).toBe(400);
        expect((await call(`${base}/..%2Fcurrent`)).status).toBe(400);
        expect((await call(`${base}/state-shard9of9.bin`)).status).toBe(404);
        expect(
          (await call(`${server.url}/web/artifacts/${TEST_MODEL}/20200101T000000000Z-00000000/state.json`))
            .status,
        ).toBe(404);
        const badKind = await call(`${server.url}/web/artifacts/nope/${version}/state.json`);
        expect(badKind.status).toBe(400);
        expect(JSON.stringify(badKind.body)).toContain('kind');
      } finally {
        await server.close();
      }
    });
  }

  it('says why a model above the size limit is not offered', async () => {
    const server = await serve({
      store: createStore(artifactsDir),
      page: { dir: pageDir },
      servedKind: 'ease',
      maxModelBytes: 1000,
    });
    try {
      const { body } = await call(`${server.url}/web/models`);
      expect(body.maxBytes).toBe(1000);
      expect(body.models[0]).toMatchObject({ kind: TEST_MODEL, served: false, offered: false });
      expect(body.models[0].reason).toMatch(/its state is \d+ MB, above the page's limit of 0 MB/);
      // Nor are its files served (they would be read whole into the server's memory).
      const file = await call(
        `${server.url}/web/artifacts/${TEST_MODEL}/${body.models[0].version}/state.json`,
      );
      expect(file.status).toBe(403);
      expect(JSON.stringify(file.body)).toContain("above the page's limit");
    } finally {
      await server.close();
    }
  });

  it('serves the built page at / and its files under /web/, or a 503 saying why there is none', async () => {
    const server = await serve({
      store: createStore(artifactsDir),
      page: { dir: pageDir },
      servedKind: TEST_MODEL,
    });
    const missing = await serve({
      store: createStore(artifactsDir),
      page: { unavailable: 'web page build failed: esbuild is not installed' },
      servedKind: TEST_MODEL,
    });
    try {
      const index = await bytesOf(`${server.url}/`);
      expect(index.status).toBe(200);
      expect(index.type).toBe('text/html; charset=utf-8');
      expect(index.bytes.toString()).toContain('<title>recsys</title>');
      expect((await bytesOf(`${server.url}/web/app.js`)).type).toBe('application/javascript; charset=utf-8');
      expect((await call(`${server.url}/web/nothing.js`)).status).toBe(404);
      const down = await bytesOf(`${missing.url}/`);
      expect(down.status).toBe(503);
      expect(down.bytes.toString()).toContain('esbuild is not installed');
    } finally {
      await server.close();
      await missing.close();
    }
  });

  it('builds the page with esbuild: bundle, style, html and the TF.js wasm files; fresh until a source changes', async () => {
    const out = await tempDir('web-build');
    try {
      const dir = path.join(out.dir, 'web');
      expect(await webPageStale(dir)).toBe(true);
      const built = await buildWebPage(dir);
      expect(built.bundleBytes).toBeGreaterThan(100_000);
      for (const name of ['app.js', 'index.html', 'style.css', ...WASM_FILES]) {
        expect(existsSync(path.join(dir, name))).toBe(true);
      }
      const bundle = await readFile(path.join(dir, 'app.js'), 'utf8');
      // Our model code is in the bundle, the Node-only modules are not (worker threads, native backends).
      expect(bundle).not.toContain('node:worker_threads');
      expect(bundle).toContain('worker threads are Node-only');
      expect(await webPageStale(dir)).toBe(false);
    } finally {
      await out.remove();
    }
  }, 120_000);
});
