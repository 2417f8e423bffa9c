/**
 * The setup screen offers the catalogue's releases that are not local for download: `d` starts the real
 * `recsys data download` in a child process (here from a local HTTP mirror serving a zip of ../shared's
 * ml-latest-small and its .md5 sidecar), the dataset row shows a progress bar, and once the release is
 * extracted and converted its counts appear.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getModelFactory, REGISTERED_KINDS } from '../../src/models/registry.js';
import { createStore } from '../../src/storage/store.js';
import { App } from '../../src/tui/app.js';
import { createZip } from '../support/zip.js';

const SMALL = path.resolve(import.meta.dirname, '../../../shared/movielens/ml-latest-small');
const FILES = ['ratings.csv', 'movies.csv', 'links.csv', 'tags.csv', 'README.txt'];

let server: http.Server;
let baseUrl = '';
let dir = '';
const requests: string[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recsys-tui-download-'));
  const zip = createZip([
    { name: 'ml-latest-small/' },
    ...FILES.map((f) => ({ name: `ml-latest-small/${f}`, data: fs.readFileSync(path.join(SMALL, f)) })),
  ] as never);
  const md5 = createHash('md5').update(zip).digest('hex');
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/ml-latest-small.zip.md5')
      res.writeHead(200).end(`MD5 (ml-latest-small.zip) = ${md5}\n`);
    else if (req.url === '/ml-latest-small.zip') {
      // Slowly, in eight parts, so the progress bar has time to show.
      res.writeHead(200, { 'Content-Length': zip.length });
      const part = Math.ceil(zip.length / 8);
      let at = 0;
      const next = (): void => {
        res.write(zip.subarray(at, at + part));
        at += part;
        if (at >= zip.length) res.end();
        else setTimeout(next, 400);
      };
      next();
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function frameWhere(
  lastFrame: () => string | undefined,
  predicate: (f: string) => boolean,
  ms: number,
) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const frame = lastFrame() ?? '';
    if (predicate(frame)) return frame;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`frame never matched:\n${lastFrame() ?? ''}`);
}

describe('setup screen downloads', () => {
  it('downloads a release that is not local with d and shows its counts once converted', async () => {
    const app = render(
      createElement(App, {
        models: REGISTERED_KINDS.map((kind) => getModelFactory(kind)),
        store: createStore(path.join(dir, 'artifacts')),
        dataDir: path.join(dir, 'data'),
        baseUrl,
        env: { ...process.env, MOVIELENS_DIR: '', LOG_LEVEL: 'warn' },
      }),
    );
    // Nothing is local: the first release offered is ml-100k; move to ml-latest-small.
    await frameWhere(app.lastFrame, (f) => f.includes('d downloads'), 30_000);
    // (A key sent before the screen's input hook is attached is lost, so each one is retried until seen.)
    for (let i = 0; i < 30 && !(app.lastFrame() ?? '').includes('‹ ml-latest-small ›'); i++) {
      const before = app.lastFrame() ?? '';
      app.stdin.write('\u001B[C');
      await frameWhere(app.lastFrame, (f) => f !== before, 1000).catch(() => undefined);
    }
    expect(app.lastFrame()).toContain('‹ ml-latest-small ›');
    // Enter refuses a release that is not local.
    app.stdin.write('\r');
    await frameWhere(app.lastFrame, (f) => f.includes('ml-latest-small is not local'), 5000);
    app.stdin.write('d');
    await frameWhere(app.lastFrame, (f) => /downloading [█▏▎▍▌▋▊▉]+░* \d+\.\d\/\d+\.\d MB/.test(f), 60_000);
    const frame = await frameWhere(
      app.lastFrame,
      (f) => f.includes('100,836 ratings · 9,742 movies'),
      120_000,
    );
    expect(frame).toContain('‹ ml-latest-small ›');
    expect(requests).toEqual(['/ml-latest-small.zip.md5', '/ml-latest-small.zip']);
    expect(fs.existsSync(path.join(dir, 'data', 'raw', 'ml-latest-small', 'ratings.csv'))).toBe(true);
    app.unmount();
  }, 180_000);
});
