import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumError, DataFormatError, DownloadError, NotFoundError } from '../../src/core/errors.js';
import type { ProgressEvent } from '../../src/core/progress.js';
import {
  COMPLETE_MARKER,
  downloadDataset,
  isDownloadComplete,
  offlineHint,
} from '../../src/data/download.js';
import { resolveSourceDir } from '../../src/data/load.js';
import { createZip } from '../support/zip.js';
import { SHARED, tempDirs } from './fixtures.js';

/**
 * The downloader against a real HTTP server on 127.0.0.1 serving zips built here from ../shared files. Each
 * test sets how the server misbehaves (cut the connection, ignore Range, wrong bytes, 404, 5xx).
 */

const newDir = tempDirs();
const ML100K_FILES = ['u.data', 'u.item', 'u.user', 'u.genre', 'u.occupation', 'README'];
const SMALL_FILES = ['ratings.csv', 'movies.csv', 'links.csv', 'tags.csv', 'README.txt'];
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

interface Seen {
  url: string;
  range: string | undefined;
}
type Handler = (req: http.IncomingMessage, res: http.ServerResponse, count: number) => void;

let server: http.Server;
let baseUrl: string;
let seen: Seen[];
let handler: Handler;
let zip100k: Buffer;
let zipSmall: Buffer;

async function buildZip(release: string, files: string[]): Promise<Buffer> {
  const entries = [{ name: `${release}/` }];
  for (const f of files)
    entries.push({
      name: `${release}/${f}`,
      data: await fs.readFile(path.join(SHARED, release, f)),
    } as never);
  return createZip(entries);
}

/** Serves `body` honouring `Range: bytes=N-` with a 206. */
function serveBytes(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (range) {
    const start = Number(range[1]);
    res.writeHead(206, {
      'Content-Length': body.length - start,
      'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
    });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'Content-Length': body.length });
  res.end(body);
}

/** Sends the headers and the first `bytes` of the body, then drops the connection. */
function cutAfter(res: http.ServerResponse, body: Buffer, bytes: number): void {
  res.writeHead(200, { 'Content-Length': body.length });
  res.write(body.subarray(0, bytes), () => setTimeout(() => res.socket?.destroy(), 50));
}

beforeAll(async () => {
  [zip100k, zipSmall] = await Promise.all([
    buildZip('ml-100k', ML100K_FILES),
    buildZip('ml-latest-small', SMALL_FILES),
  ]);
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', range: req.headers.range });
    handler(req, res, seen.filter((s) => s.url === req.url).length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
  handler = (req, res) =>
    req.url === '/ml-100k.zip' ? serveBytes(req, res, zip100k) : res.writeHead(404).end();
});

const fast = { retries: 3, backoffMs: 5 };

/** Byte equality of two files (a deep toEqual over megabytes is very slow). */
async function sameBytes(a: string, b: string): Promise<boolean> {
  return (await fs.readFile(a)).equals(await fs.readFile(b));
}

async function expectNothingLeft(dataDir: string, name: string): Promise<void> {
  await expect(fs.stat(path.join(dataDir, 'raw', name))).rejects.toThrow(/ENOENT/);
  const raw = await fs.readdir(path.join(dataDir, 'raw')).catch(() => []);
  expect(raw).toEqual([]); // no half-extracted temp folder either
  const downloads = await fs.readdir(path.join(dataDir, 'downloads')).catch(() => []);
  expect(downloads).toEqual([]);
}

describe('downloadDataset against a local HTTP server', () => {
  it('downloads, verifies, extracts and marks complete; a second call makes no request', async () => {
    const dataDir = await newDir();
    const events: ProgressEvent[] = [];
    const dir = await downloadDataset('ml-100k', {
      dataDir,
      baseUrl,
      expected: { md5: md5(zip100k) },
      onProgress: (e) => events.push(e),
      ...fast,
    });
    expect(dir).toBe(path.join(dataDir, 'raw', 'ml-100k'));
    expect(await sameBytes(path.join(dir, 'u.item'), path.join(SHARED, 'ml-100k', 'u.item'))).toBe(true);
    expect(await isDownloadComplete(dir)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      phase: 'download ml-100k',
      done: zip100k.length,
      total: zip100k.length,
      unit: 'bytes',
    });
    expect(seen.map((s) => s.url)).toEqual(['/ml-100k.zip']);

    await downloadDataset('ml-100k', { dataDir, baseUrl, expected: { md5: md5(zip100k) } });
    expect(seen.length).toBe(1);
    expect(await resolveSourceDir('ml-100k', { dataDir })).toBe(dir); // complete: no download, no network
  });

  it('resumes with a Range request after the connection is cut mid-body', async () => {
    handler = (req, res, count) =>
      count === 1 ? cutAfter(res, zip100k, zip100k.length >> 1) : serveBytes(req, res, zip100k);
    const dataDir = await newDir();
    const dir = await downloadDataset('ml-100k', {
      dataDir,
      baseUrl,
      expected: { md5: md5(zip100k) },
      ...fast,
    });
    expect(seen.length).toBe(2);
    expect(seen[0]?.range).toBeUndefined();
    const start = Number(/^bytes=(\d+)-$/.exec(seen[1]?.range ?? '')?.[1]);
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThanOrEqual(zip100k.length >> 1);
    expect(await sameBytes(path.join(dir, 'u.data'), path.join(SHARED, 'ml-100k', 'u.data'))).toBe(true);
  });

  it('starts over cleanly when the server answers a Range request with the whole file (200)', async () => {
    handler = (_req, res, count) =>
      count === 1 ? cutAfter(res, zip100k, zip100k.length >> 2) : res.writeHead(200).end(zip100k);
    const dataDir = await newDir();
    const dir = await downloadDataset('ml-100k', {
      dataDir,
      baseUrl,
      expected: { md5: md5(zip100k) },
      ...fast,
    });
    expect(seen[1]?.range).toMatch(/^bytes=\d+-$/);
    expect(await sameBytes(path.join(dir, 'u.genre'), path.join(SHARED, 'ml-100k', 'u.genre'))).toBe(true);
  });

  it('wrong bytes: ChecksumError, and nothing is left in the target or the downloads folder', async () => {
    const corrupt = Buffer.from(zip100k);
    corrupt[corrupt.length >> 1] = (corrupt[corrupt.length >> 1] as number) ^ 0xff;
    handler = (req, res) => serveBytes(req, res, corrupt);
    const dataDir = await newDir();
    const error = await downloadDataset('ml-100k', {
      dataDir,
      baseUrl,
      expected: { md5: md5(zip100k) },
      ...fast,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumError);
    expect((error as Error).message).toContain(`expected md5 ${md5(zip100k)}, got ${md5(corrupt)}`);
    await expectNothingLeft(dataDir, 'ml-100k');
  });

  it('a corrupt archive that passes (no checksum to verify) fails extraction without leaving a folder', async () => {
    const truncated = zip100k.subarray(0, zip100k.length - 100);
    handler = (req, res) => serveBytes(req, res, truncated);
    const dataDir = await newDir();
    await expect(
      downloadDataset('ml-100k', { dataDir, baseUrl, expected: null, ...fast }),
    ).rejects.toBeInstanceOf(DataFormatError);
    await expectNothingLeft(dataDir, 'ml-100k');
  });

  it('404: a DownloadError naming the status, without retrying', async () => {
    handler = (_req, res) => res.writeHead(404, 'Not Found').end('no such file');
    const dataDir = await newDir();
    const error = await downloadDataset('ml-100k', { dataDir, baseUrl, ...fast }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as Error).message).toBe(
      `download of ${baseUrl}ml-100k.zip failed: HTTP 404 Not Found. ${offlineHint('ml-100k')}`,
    );
    expect(seen.length).toBe(1);
    await expectNothingLeft(dataDir, 'ml-100k');
  });

  it('500: retries with backoff, then a DownloadError naming the status and the attempts', async () => {
    handler = (_req, res) => res.writeHead(500, 'Internal Server Error').end();
    const dataDir = await newDir();
    const error = await downloadDataset('ml-100k', { dataDir, baseUrl, expected: null, ...fast }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as Error).message).toMatch(
      /HTTP 500 Internal Server Error \(gave up after 4 attempts\)\. To run without internet, /,
    );
    expect(seen.length).toBe(4);
    await expectNothingLeft(dataDir, 'ml-100k');
  });

  it('no internet (nothing listens): retries, then DOWNLOAD saying how to run offline with MOVIELENS_DIR', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dataDir = await newDir();
    const error = await downloadDataset('ml-1m', {
      dataDir,
      baseUrl: `http://127.0.0.1:${port}/`,
      ...fast,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).code).toBe('DOWNLOAD');
    const message = (error as Error).message;
    expect(message).toMatch(/\(gave up after 4 attempts\)\. To run without internet, /);
    expect(message).toContain('MOVIELENS_DIR=/path/to/ml-1m RECSYS_DATASET=ml-1m npm start');
    expect(message).toContain('--from /path/to/ml-1m');
    await expectNothingLeft(dataDir, 'ml-1m');
  });

  it('a transient 503 then success: the retry completes the download', async () => {
    handler = (req, res, count) => (count <= 2 ? res.writeHead(503).end() : serveBytes(req, res, zip100k));
    const dataDir = await newDir();
    await downloadDataset('ml-100k', { dataDir, baseUrl, expected: { md5: md5(zip100k) }, ...fast });
    expect(seen.length).toBe(3);
  });

  it('verifies a release without a pinned checksum against the published .md5 sidecar', async () => {
    let sidecar = `MD5 (ml-latest-small.zip) = ${md5(zipSmall)}\n`;
    handler = (req, res) => {
      if (req.url === '/ml-latest-small.zip.md5') res.writeHead(200).end(sidecar);
      else if (req.url === '/ml-latest-small.zip') serveBytes(req, res, zipSmall);
      else res.writeHead(404).end();
    };
    const dataDir = await newDir();
    const dir = await downloadDataset('ml-latest-small', { dataDir, baseUrl, ...fast });
    expect(seen.map((s) => s.url)).toEqual(['/ml-latest-small.zip.md5', '/ml-latest-small.zip']);
    const marker = JSON.parse(await fs.readFile(path.join(dir, COMPLETE_MARKER), 'utf8')) as { md5: string };
    expect(marker.md5).toBe(md5(zipSmall));

    sidecar = `MD5 (ml-latest-small.zip) = ${'0'.repeat(32)}\n`;
    const other = await newDir();
    await expect(
      downloadDataset('ml-latest-small', { dataDir: other, baseUrl, ...fast }),
    ).rejects.toBeInstanceOf(ChecksumError);
    await expectNothingLeft(other, 'ml-latest-small');
  });
});

describe('resolveSourceDir with --from / MOVIELENS_DIR', () => {
  it("accepts the release's own folder or a folder holding it, and names what is missing", async () => {
    const dataDir = await newDir();
    expect(await resolveSourceDir('ml-1m', { dataDir, from: SHARED })).toBe(path.join(SHARED, 'ml-1m'));
    expect(await resolveSourceDir('ml-1m', { dataDir, from: path.join(SHARED, 'ml-1m') })).toBe(
      path.join(SHARED, 'ml-1m'),
    );
    const error = await resolveSourceDir('ml-25m', { dataDir, from: SHARED }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message).toContain(path.join(SHARED, 'ml-25m', 'movies.csv'));
  });
});
