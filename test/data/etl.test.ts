import fs from 'node:fs/promises';
import path from 'node:path';
import * as parquet from 'parquet-wasm/node';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../../src/core/errors.js';
import { CATALOG } from '../../src/data/catalog.js';
import { ETL_MANIFEST, readEtlManifest, runEtl } from '../../src/data/etl.js';
import { loadDatasetTables } from '../../src/data/load.js';
import { readParquetFile, readRatingsParquet } from '../../src/data/parquet.js';
import { readMoviesParquet, readUsersParquet } from '../../src/data/parquet-tables.js';
import { readSourceDataset } from '../../src/data/readers/source.js';
import type { RatingsTable } from '../../src/data/schema.js';
import { copyShared, SHARED, snapshot, tempDirs } from './fixtures.js';

const newDir = tempDirs();

/** The first row where two columns differ, or null: compares every row (faster than a deep toEqual). */
function firstDifference(a: ArrayLike<number> | null, b: ArrayLike<number> | null): string | null {
  if (a === null || b === null) return a === b ? null : 'one column is null';
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `row ${i}: ${a[i]} vs ${b[i]}`;
  return null;
}

function expectSameRatings(actual: RatingsTable, expected: RatingsTable): void {
  expect(actual.length).toBe(expected.length);
  expect(firstDifference(actual.userId, expected.userId)).toBeNull();
  expect(firstDifference(actual.movieId, expected.movieId)).toBeNull();
  expect(firstDifference(actual.rating, expected.rating)).toBeNull();
  expect(firstDifference(actual.timestamp, expected.timestamp)).toBeNull();
}

/** Codec and encodings of each column chunk of a Parquet file's first row group. */
async function codecs(file: string): Promise<Record<string, string>> {
  const meta = (await parquet.ParquetFile.fromFile(new Blob([await fs.readFile(file)]))).metadata();
  return Object.fromEntries(
    meta
      .rowGroup(0)
      .columns()
      .map((c) => [
        c.columnPath().join('.'),
        `${parquet.Compression[c.compression()]} ${c
          .encodings()
          .map((e) => parquet.Encoding[e])
          .join('+')}`,
      ]),
  );
}

const RATINGS_CODECS = {
  user_id: 'ZSTD RLE+DELTA_BINARY_PACKED',
  movie_id: 'UNCOMPRESSED RLE+DELTA_BINARY_PACKED',
  rating: 'ZSTD RLE+BYTE_STREAM_SPLIT',
  timestamp: 'UNCOMPRESSED RLE+DELTA_BINARY_PACKED',
};

describe('ETL to Parquet', () => {
  for (const [name, parallelWrite] of [
    ['ml-100k', false],
    ['ml-latest-small', false],
    ['ml-latest-small', true],
  ] as const) {
    const how = parallelWrite ? ' (ratings compressed on a worker thread while parsing)' : '';
    it(`${name}: every row of ratings, movies and users survives the Parquet round trip exactly${how}`, async () => {
      const source = await readSourceDataset(CATALOG[name], path.join(SHARED, name));
      const out = path.join(await newDir(), name);
      const result = await runEtl(CATALOG[name], path.join(SHARED, name), out, { parallelWrite });
      expect(result.reused).toBe(false);
      expectSameRatings(await readRatingsParquet(result.ratings), source.tables.ratings);
      expect(await readMoviesParquet(result.movies)).toEqual(source.tables.movies);
      expect(await codecs(result.ratings)).toEqual(RATINGS_CODECS); // the worker writes with the same settings
      if (source.tables.users)
        expect(await readUsersParquet(result.users as string)).toEqual(source.tables.users);
      else expect(result.users).toBeNull();
    });
  }

  it('writes the schema of schema.ts: int32 ids, float32 rating, int64 timestamp, genres as string and list', async () => {
    const out = await newDir();
    const result = await runEtl(CATALOG['ml-100k'], path.join(SHARED, 'ml-100k'), out);
    const types = async (file: string): Promise<string[]> =>
      (await readParquetFile(file)).schema.fields.map((f) => `${f.name}:${String(f.type)}`);
    expect(await types(result.ratings)).toEqual([
      'user_id:Int32',
      'movie_id:Int32',
      'rating:Float32',
      'timestamp:Int64',
    ]);
    expect(await types(result.movies)).toEqual([
      'movie_id:Int32',
      'title:Utf8',
      'year:Int32',
      'genres:Utf8',
      'genre_list:List<Utf8>',
    ]);
    expect(await types(result.users as string)).toEqual([
      'user_id:Int32',
      'gender:Utf8',
      'age:Int32',
      'occupation:Utf8',
      'zip:Utf8',
    ]);
    // zstd where it shrinks the column; delta bit-packing alone where zstd saved under 2% (see RATINGS_WRITE_OPTIONS)
    expect(await codecs(result.ratings)).toEqual(RATINGS_CODECS);
    expect(Object.values(await codecs(result.movies)).every((c) => c.startsWith('ZSTD'))).toBe(true);
    const movies = await readParquetFile(result.movies);
    expect(movies.getChild('genres')?.get(0)).toBe("Animation|Children's|Comedy");
    const manifest = await readEtlManifest(out);
    expect(manifest?.outputs).toMatchObject({
      ratings: { rows: 100_000 },
      movies: { rows: 1682 },
      users: { rows: 943 },
    });
    expect(manifest?.inputs.find((i) => i.path.endsWith('u.data'))?.sha256).toBe(
      '06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490', // MANIFEST.md's sha256 of u.data
    );
  });

  it('is a no-op when the inputs are unchanged (even if touched), and runs again when one changes', async () => {
    const src = await newDir();
    await copyShared('ml-100k', ['u.data', 'u.item', 'u.user', 'u.genre'], src);
    const out = await newDir();
    await runEtl(CATALOG['ml-100k'], src, out);
    const before = await snapshot(out);

    const again = await runEtl(CATALOG['ml-100k'], src, out);
    expect(again.reused).toBe(true);
    expect(await snapshot(out)).toEqual(before);

    // Same bytes, new mtime: the sha256 decides, nothing is rewritten but the manifest's recorded mtime.
    const later = new Date(Date.now() + 60_000);
    await fs.utimes(path.join(src, 'u.data'), later, later);
    expect((await runEtl(CATALOG['ml-100k'], src, out)).reused).toBe(true);
    const touched = await snapshot(out);
    expect(touched['ratings.parquet']).toBe(before['ratings.parquet']);

    await fs.appendFile(path.join(src, 'u.data'), '944\t1\t5\t893286639\n');
    const rerun = await runEtl(CATALOG['ml-100k'], src, out);
    expect(rerun.reused).toBe(false);
    expect(rerun.manifest.outputs.ratings.rows).toBe(100_001);
  });

  it('writes nothing when a line is bad: a fresh output folder stays absent, an existing one unchanged', async () => {
    const src = await newDir();
    await copyShared('ml-100k', ['u.data', 'u.item', 'u.user', 'u.genre'], src);
    const good = await newDir();
    await runEtl(CATALOG['ml-100k'], src, good);
    const before = await snapshot(good);

    await fs.appendFile(path.join(src, 'u.data'), '196\t242\t4\t881250950\n'); // duplicates line 1
    const fresh = path.join(await newDir(), 'never');
    const error = await runEtl(CATALOG['ml-100k'], src, fresh).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as DataFormatError).message).toBe(
      `${path.join(src, 'u.data')}:100001: duplicate: user 196 and movie 242 already appear on an earlier line`,
    );
    await expect(fs.stat(fresh)).rejects.toThrow(/ENOENT/);

    await expect(runEtl(CATALOG['ml-100k'], src, good)).rejects.toBeInstanceOf(DataFormatError);
    expect(await snapshot(good)).toEqual(before);
    // Also when a worker thread was already compressing the streamed rows: its temp file goes too.
    await expect(runEtl(CATALOG['ml-100k'], src, good, { parallelWrite: true })).rejects.toBeInstanceOf(
      DataFormatError,
    );
    expect(await snapshot(good)).toEqual(before);
    await expect(runEtl(CATALOG['ml-100k'], src, fresh, { parallelWrite: true })).rejects.toBeInstanceOf(
      DataFormatError,
    );
    await expect(fs.stat(fresh)).rejects.toThrow(/ENOENT/);
    expect(Object.keys(before).sort()).toEqual([
      ETL_MANIFEST,
      'movies.parquet',
      'ratings.parquet',
      'users.parquet',
    ]);
  });

  it('--skip-bad-lines converts the rest and records the skipped counts', async () => {
    const src = await newDir();
    await copyShared('ml-100k', ['u.data', 'u.item', 'u.user', 'u.genre'], src);
    await fs.appendFile(path.join(src, 'u.data'), '1\t2\t3\n196\t242\t1\t881250950\n');
    const out = await newDir();
    const result = await runEtl(CATALOG['ml-100k'], src, out, { skipBadLines: true });
    expect(result.manifest.outputs.ratings.rows).toBe(100_000);
    expect(result.manifest.skipped.byReason).toEqual({ 'field count': 1, duplicate: 1 });
    // Streamed rows included the duplicate: the parallel file is dropped and the ratings written again.
    const parallel = await runEtl(CATALOG['ml-100k'], src, out, {
      skipBadLines: true,
      force: true,
      parallelWrite: true,
    });
    expect((await readRatingsParquet(parallel.ratings)).length).toBe(100_000);
    expect(Object.keys(await snapshot(out)).sort()).toEqual([
      ETL_MANIFEST,
      'movies.parquet',
      'ratings.parquet',
      'users.parquet',
    ]);
  });
});

describe('loadDatasetTables', () => {
  it('ml-1m from ../shared: 6,040 users, 3,883 movies, 1,000,209 interactions without ratings', async () => {
    const dataDir = await newDir();
    const tables = await loadDatasetTables('ml-1m', { dataDir, from: SHARED });
    expect(tables.ratings.length).toBe(1_000_209);
    expect(new Set(tables.ratings.userId).size).toBe(6040);
    expect(tables.ratings.rating).toBeNull();
    expect(tables.ratings.timestamp).toBeNull();
    expect(tables.movies.length).toBe(3883);
    expect(tables.users?.length).toBe(6040);
    const manifest = await readEtlManifest(path.join(dataDir, 'parquet', 'ml-1m'));
    expect(manifest?.ratingsSource.kind).toBe('interactions');
    expect(manifest?.outputs.ratings.columns).toEqual(['user_id', 'movie_id']);
  });
});
