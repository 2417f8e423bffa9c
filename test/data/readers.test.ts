import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, HALF_STARS, WHOLE_STARS } from '../../src/data/catalog.js';
import { readInteractionsParquet } from '../../src/data/parquet.js';
import { createCsvRecordJoiner, parseCsvRecord } from '../../src/data/readers/csv.js';
import { parseGenres, titleYear } from '../../src/data/readers/movies.js';
import { readRatingsFile } from '../../src/data/readers/ratings.js';
import { readSourceDataset } from '../../src/data/readers/source.js';
import { copyShared, SHARED, tempDirs } from './fixtures.js';

const newDir = tempDirs();
const distinct = (a: Int32Array): number => new Set(a).size;

describe('readSourceDataset on the real releases in ../shared', () => {
  it('ml-100k: 100,000 ratings, 943 users, 1,682 items; latin-1 titles; genres from u.genre flags', async () => {
    const { tables, files } = await readSourceDataset(CATALOG['ml-100k'], path.join(SHARED, 'ml-100k'));
    expect(files.ratingsKind).toBe('ratings');
    expect(tables.ratings.length).toBe(100_000);
    expect(distinct(tables.ratings.userId)).toBe(943);
    expect(distinct(tables.ratings.movieId)).toBe(1682);
    expect(tables.movies.length).toBe(1682);
    expect(tables.users?.length).toBe(943);
    // u.data's first line is "196\t242\t3\t881250949"
    expect([
      tables.ratings.userId[0],
      tables.ratings.movieId[0],
      tables.ratings.rating?.[0],
      tables.ratings.timestamp?.[0],
    ]).toEqual([196, 242, 3, 881250949]);
    const miserables = tables.movies.find((m) => m.movieId === 543);
    expect(miserables).toEqual({
      movieId: 543,
      title: 'Misérables, Les (1995)',
      year: 1995,
      genres: ['Drama', 'Musical'],
    });
    expect(tables.movies[0]).toEqual({
      movieId: 1,
      title: 'Toy Story (1995)',
      year: 1995,
      genres: ['Animation', "Children's", 'Comedy'],
    });
    // movie 267 is "unknown" with no date: no year, and only the 'unknown' genre flag
    expect(tables.movies.find((m) => m.movieId === 267)).toMatchObject({
      title: 'unknown',
      year: null,
      genres: ['unknown'],
    });
    expect(tables.users?.[0]).toEqual({
      userId: 1,
      gender: 'M',
      age: 24,
      occupation: 'technician',
      zip: '85711',
    });
  });

  it('ml-latest-small: 100,836 ratings, 610 users, 9,742 movies; CRLF lines; UTF-8 and quoted titles', async () => {
    const { tables } = await readSourceDataset(
      CATALOG['ml-latest-small'],
      path.join(SHARED, 'ml-latest-small'),
    );
    expect(tables.ratings.length).toBe(100_836);
    expect(distinct(tables.ratings.userId)).toBe(610);
    expect(tables.movies.length).toBe(9742);
    expect(tables.users).toBeNull();
    // ratings.csv's first row "1,1,4.0,964982703\r\n": the \r must not reach the timestamp
    expect(tables.ratings.timestamp?.[0]).toBe(964982703);
    const halfStars = new Set(tables.ratings.rating);
    expect([...halfStars].sort((a, b) => a - b)).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
    const byId = new Map(tables.movies.map((m) => [m.movieId, m]));
    expect(byId.get(73)?.title).toBe('Misérables, Les (1995)');
    expect(byId.get(11)).toEqual({
      movieId: 11,
      title: 'American President, The (1995)',
      year: 1995,
      genres: ['Comedy', 'Drama', 'Romance'],
    });
    // movies.csv line 5021: 7789,"11'09""01 - September 11 (2002)",Drama
    expect(byId.get(7789)?.title).toBe(`11'09"01 - September 11 (2002)`);
    const noGenres = tables.movies.filter((m) => m.genres.length === 0);
    expect(noGenres.length).toBeGreaterThan(0);
    const raw = await fs.readFile(path.join(SHARED, 'ml-latest-small', 'movies.csv'), 'utf8');
    expect(raw.split('(no genres listed)').length - 1).toBe(noGenres.length);
  });

  it('ml-1m without ratings.dat: falls back to interactions.parquet (pairs only) and maps occupation codes', async () => {
    const { tables, files } = await readSourceDataset(CATALOG['ml-1m'], path.join(SHARED, 'ml-1m'));
    expect(files.ratingsKind).toBe('interactions');
    expect(path.basename(files.ratings)).toBe('interactions.parquet');
    expect(tables.ratings.length).toBe(1_000_209);
    expect(tables.ratings.rating).toBeNull();
    expect(tables.ratings.timestamp).toBeNull();
    expect(distinct(tables.ratings.userId)).toBe(6040);
    expect(tables.users?.length).toBe(6040);
    expect(tables.movies.length).toBe(3883);
    expect([tables.ratings.userId[0], tables.ratings.movieId[0]]).toEqual([1, 1193]);
    expect(tables.users?.[0]).toEqual({
      userId: 1,
      gender: 'F',
      age: 1,
      occupation: 'K-12 student',
      zip: '48067',
    });
    expect(tables.movies.find((m) => m.movieId === 73)?.title).toBe('Misérables, Les (1995)');
  });
});

describe('ml-1m ratings.dat', () => {
  it('is read when present (a file written here in the exact UserID::MovieID::Rating::Timestamp format)', async () => {
    const dir = await newDir();
    await copyShared('ml-1m', ['movies.dat', 'users.dat'], dir);
    const pairs = await readInteractionsParquet(path.join(SHARED, 'ml-1m', 'interactions.parquet'), {
      user: 'userID',
      item: 'movieID',
    });
    const n = 5000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++)
      lines.push(`${pairs.userId[i]}::${pairs.movieId[i]}::${(i % 5) + 1}::${978300760 + i}\n`);
    await fs.writeFile(path.join(dir, 'ratings.dat'), lines.join(''));
    const { tables, files } = await readSourceDataset(CATALOG['ml-1m'], dir);
    expect(files.ratingsKind).toBe('ratings');
    expect(tables.ratings.length).toBe(n);
    expect(Array.from(tables.ratings.userId)).toEqual(Array.from(pairs.userId.subarray(0, n)));
    expect(Array.from(tables.ratings.movieId)).toEqual(Array.from(pairs.movieId.subarray(0, n)));
    expect(tables.ratings.rating?.[7]).toBe(3);
    expect(tables.ratings.timestamp?.[n - 1]).toBe(978300760 + n - 1);
  });
});

describe('readRatingsFile', () => {
  it('parses half-star .dat ratings (ml-10m) and a last line without a newline', async () => {
    const file = path.join(await newDir(), 'ratings.dat');
    await fs.writeFile(file, '1::122::5::838985046\n1::185::4.5::838983525\n2::5::0.5::868245777');
    const { table, lines } = await readRatingsFile(file, { layout: 'dat', scale: HALF_STARS });
    expect(lines).toBe(3);
    expect(Array.from(table.rating ?? [])).toEqual([5, 4.5, 0.5]);
    expect(Array.from(table.timestamp ?? [])).toEqual([838985046, 838983525, 868245777]);
  });

  it('hands rows over in batches while parsing; the batches add up to the table', async () => {
    const file = path.join(SHARED, 'ml-100k', 'u.data');
    const batches: number[][] = [];
    const { table, parsedRows } = await readRatingsFile(file, {
      layout: 'tab',
      scale: WHOLE_STARS,
      batchRows: 30_000,
      onRows: (batch) => batches.push(Array.from(batch.movieId)),
    });
    expect(batches.map((b) => b.length)).toEqual([30_000, 30_000, 30_000, 10_000]);
    expect(parsedRows).toBe(100_000);
    expect(batches.flat()).toEqual(Array.from(table.movieId));
    // Without a listener the batch size is ignored (this once looped forever past the first batch).
    expect(
      (await readRatingsFile(file, { layout: 'tab', scale: WHOLE_STARS, batchRows: 30_000 })).table.length,
    ).toBe(100_000);
  });

  it('keeps line numbers right across chunk boundaries and blank lines (u.data is 1.9 MB, chunks are 1 MB)', async () => {
    const file = path.join(await newDir(), 'u.data');
    const original = await fs.readFile(path.join(SHARED, 'ml-100k', 'u.data'), 'latin1');
    const lines = original.split('\n');
    lines.splice(10, 0, ''); // a blank line becomes line 11
    lines[70_000] = `${lines[70_000]}\tx`; // a fifth field on line 70,001
    await fs.writeFile(file, lines.join('\n'), 'latin1');
    await expect(readRatingsFile(file, { layout: 'tab', scale: WHOLE_STARS })).rejects.toThrow(
      `${file}:70001: field count`,
    );
    const skipped = await readRatingsFile(file, { layout: 'tab', scale: WHOLE_STARS, skipBadLines: true });
    expect(skipped.table.length).toBe(99_999);
    expect(skipped.skipped.examples[0]?.line).toBe(70_001);
  });
});

describe('titles, genres and CSV records', () => {
  it('takes the year from the trailing parentheses only', () => {
    expect(titleYear('Misérables, Les (1995)')).toBe(1995);
    expect(titleYear('Babylon 5')).toBeNull();
    expect(titleYear('1492: Conquest of Paradise (1992)')).toBe(1992);
    expect(titleYear('Stranger Things (2016-)')).toBe(2016);
    expect(titleYear('Women of Ryazan (1927) ')).toBe(1927);
  });

  it('reads MovieLens genre strings', () => {
    expect(parseGenres('Comedy|Drama')).toEqual(['Comedy', 'Drama']);
    expect(parseGenres('(no genres listed)')).toEqual([]);
  });

  it('parses RFC 4180 fields: commas and doubled quotes inside quotes, quoted fields across lines', () => {
    expect(parseCsvRecord('1,"Misérables, Les (1995)",Drama')).toEqual([
      '1',
      'Misérables, Les (1995)',
      'Drama',
    ]);
    expect(parseCsvRecord('2,"""Great"" Performances: Cats (1998)",Musical')).toEqual([
      '2',
      '"Great" Performances: Cats (1998)',
      'Musical',
    ]);
    expect(parseCsvRecord('3,"open,Drama')).toEqual({ error: expect.stringContaining('unterminated') });
    expect(parseCsvRecord('4,"a"b,Drama')).toEqual({ error: expect.stringContaining('after quoted field') });
    const joiner = createCsvRecordJoiner();
    expect(joiner.push('5,"Two', 7)).toBeNull();
    expect(joiner.push('lines (2000)",Drama', 8)).toEqual({ text: '5,"Two\nlines (2000)",Drama', line: 7 });
  });
});
