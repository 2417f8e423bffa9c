import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataFormatError } from '../../src/core/errors.js';
import { CATALOG, HALF_STARS, WHOLE_STARS } from '../../src/data/catalog.js';
import { createBadLineSink } from '../../src/data/readers/bad-lines.js';
import { readMoviesFile } from '../../src/data/readers/movies.js';
import { type RatingsLayout, readRatingsFile } from '../../src/data/readers/ratings.js';
import { readSourceDataset } from '../../src/data/readers/source.js';
import { readUsersFile } from '../../src/data/readers/users.js';
import { copyShared, tempDirs } from './fixtures.js';

const newDir = tempDirs();

async function writeTemp(name: string, text: string | Buffer): Promise<string> {
  const file = path.join(await newDir(), name);
  await fs.writeFile(file, text);
  return file;
}

async function caught(promise: Promise<unknown>): Promise<DataFormatError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataFormatError);
  return error as DataFormatError;
}

const GOOD_TAB = '1\t10\t3\t881250949\n2\t20\t4\t881250950\n';

describe('ratings: every kind of malformed line names its file and line', () => {
  const cases: [string, RatingsLayout, string, number, RegExp][] = [
    ['wrong field count', 'tab', `${GOOD_TAB}3\t30\t5\n`, 3, /field count: expected 4 fields, found 3/],
    ['too many fields', 'dat', '1::2::3::4::5\n', 1, /field count: expected 4 fields, found 5/],
    ['non-numeric user id', 'tab', `${GOOD_TAB}u3\t30\t5\t881250951\n`, 3, /non-numeric id: user id "u3"/],
    [
      'non-numeric movie id',
      'dat',
      '1::2::3::881250949\n1::x::3::881250949\n',
      2,
      /non-numeric id: movie id "x"/,
    ],
    ['negative id', 'tab', '-1\t2\t3\t881250949\n', 1, /non-numeric id: user id "-1"/],
    [
      'rating above the scale',
      'tab',
      `${GOOD_TAB}3\t30\t6\t881250951\n`,
      3,
      /rating out of range: rating 6 is not on the scale 1..5/,
    ],
    [
      'half star on a whole-star scale',
      'tab',
      '1\t2\t3.5\t881250949\n',
      1,
      /rating out of range: rating 3.5/,
    ],
    ['rating zero', 'dat', '1::2::0::881250949\n', 1, /rating out of range/],
    ['non-numeric rating', 'tab', '1\t2\tfive\t881250949\n', 1, /bad rating: rating "five" is not a number/],
    ['bad timestamp', 'tab', `${GOOD_TAB}3\t30\t5\t88125x\n`, 3, /bad timestamp: timestamp "88125x"/],
    ['empty timestamp', 'dat', '1::2::3::\n', 1, /bad timestamp/],
    [
      'duplicate user-movie pair',
      'tab',
      `${GOOD_TAB}3\t30\t5\t1\n1\t10\t5\t881250999\n`,
      4,
      /duplicate: user 1 and movie 10/,
    ],
    ['single colon in a .dat line', 'dat', '1:2::3::881250949\n', 1, /field count|non-numeric id/],
  ];
  for (const [what, layout, text, line, message] of cases) {
    it(what, async () => {
      const file = await writeTemp(layout === 'tab' ? 'u.data' : 'ratings.dat', text);
      const error = await caught(readRatingsFile(file, { layout, scale: WHOLE_STARS }));
      expect(error.file).toBe(file);
      expect(error.line).toBe(line);
      expect(error.message).toMatch(
        new RegExp(`^${file.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}: `),
      );
      expect(error.reason).toMatch(message);
    });
  }

  it('CSV: a wrong header is line 1, a bad half-star rating is named, CRLF lines count like LF', async () => {
    const header = await writeTemp('ratings.csv', 'user,movie,rating,timestamp\r\n1,2,3.0,5\r\n');
    expect((await caught(readRatingsFile(header, { layout: 'csv', scale: HALF_STARS }))).line).toBe(1);
    const bad = await writeTemp(
      'ratings.csv',
      'userId,movieId,rating,timestamp\r\n1,2,3.0,5\r\n1,3,3.25,6\r\n',
    );
    const error = await caught(readRatingsFile(bad, { layout: 'csv', scale: HALF_STARS }));
    expect([error.line, error.reason]).toEqual([
      3,
      'rating out of range: rating 3.25 is not on the scale 0.5..5 in steps of 0.5',
    ]);
  });

  it('finds a repeated pair in a file sorted by user and movie (where the duplicate search is otherwise skipped)', async () => {
    const sorted = await writeTemp(
      'ratings.csv',
      'userId,movieId,rating,timestamp\n1,2,3.0,5\n1,3,3.0,6\n1,3,4.0,7\n2,1,1.0,8\n',
    );
    const error = await caught(readRatingsFile(sorted, { layout: 'csv', scale: HALF_STARS }));
    expect([error.line, error.reason]).toEqual([
      4,
      'duplicate: user 1 and movie 3 already appear on an earlier line',
    ]);
  });

  it('--skip-bad-lines drops and counts them by reason, keeping the good rows', async () => {
    const text = [
      '1\t10\t3\t100',
      '1\t11\t3', // field count
      'x\t12\t3\t100', // non-numeric id
      '1\t13\t9\t100', // rating out of range
      '1\t14\t3\tlater', // bad timestamp
      '',
      '2\t10\t4\t100',
      '1\t10\t5\t100', // duplicate of line 1
      '2\t11\t1\t100',
    ].join('\n');
    const file = await writeTemp('u.data', `${text}\n`);
    const result = await readRatingsFile(file, { layout: 'tab', scale: WHOLE_STARS, skipBadLines: true });
    expect(result.table.length).toBe(3);
    expect(Array.from(result.table.rating ?? [])).toEqual([3, 4, 1]);
    expect(result.skipped.total).toBe(5);
    expect(result.skipped.byReason).toEqual({
      'field count': 1,
      'non-numeric id': 1,
      'rating out of range': 1,
      'bad timestamp': 1,
      duplicate: 1,
    });
    expect(result.skipped.examples.map((e) => e.line)).toEqual([2, 3, 4, 5, 8]);
  });
});

describe('movies and users: malformed lines', () => {
  it('movies.csv: field count, non-numeric id, unclosed quote, invalid UTF-8, duplicate id', async () => {
    const head = 'movieId,title,genres\n1,Toy Story (1995),Comedy\n';
    const opts = { format: 'csv', encoding: 'utf8' } as const;
    const read = (text: string | Buffer): Promise<DataFormatError> =>
      writeTemp('movies.csv', text).then((f) => caught(readMoviesFile(f, opts, createBadLineSink(false))));
    expect((await read(`${head}2,Jumanji (1995)\n`)).reason).toMatch(/^field count/);
    expect((await read(`${head}two,Jumanji (1995),Comedy\n`)).reason).toMatch(/^non-numeric id/);
    const unclosed = await read(`${head}2,"Jumanji (1995),Comedy\n3,Heat (1995),Drama\n`);
    expect([unclosed.line, unclosed.reason]).toEqual([
      3,
      expect.stringMatching(/quoted field is not closed/),
    ]);
    const latin1 = await read(
      Buffer.concat([Buffer.from(head), Buffer.from('2,Mis\xe9rables (1995),Drama\n', 'latin1')]),
    );
    expect([latin1.line, latin1.reason]).toEqual([3, 'bad encoding: the line is not valid UTF-8']);
    expect((await read(`${head}1,Toy Story again (1995),Comedy\n`)).reason).toMatch(/^duplicate: movie 1/);
  });

  it('u.item and movies.dat: field count and genre flags', async () => {
    const sink = createBadLineSink(false);
    const item = await writeTemp(
      'u.item',
      '1|Toy Story (1995)|01-Jan-1995||url|0|1\n2|GoldenEye (1995)|||url|0|2\n',
    );
    const flag = await caught(
      readMoviesFile(
        item,
        { format: 'ml-100k', encoding: 'latin1', genreNames: ['unknown', 'Action'] },
        sink,
      ),
    );
    expect([flag.line, flag.reason]).toEqual([2, 'bad value: genre flag 2 is "2", not 0 or 1']);
    const dat = await writeTemp('movies.dat', '1::Toy Story (1995)::Comedy\n2::Jumanji (1995)\n');
    expect((await caught(readMoviesFile(dat, { format: 'dat', encoding: 'latin1' }, sink))).line).toBe(2);
  });

  it('users.dat: bad gender and an occupation code outside 0..20', async () => {
    const sink = createBadLineSink(false);
    const gender = await writeTemp('users.dat', '1::F::1::10::48067\n2::X::56::16::70072\n');
    expect((await caught(readUsersFile(gender, 'dat', sink))).reason).toMatch(/gender "X" is not M or F/);
    const occupation = await writeTemp('users.dat', '1::F::1::21::48067\n');
    expect((await caught(readUsersFile(occupation, 'dat', sink))).reason).toMatch(/occupation code "21"/);
  });

  it('a whole release with --skip-bad-lines reports counts from every file', async () => {
    const dir = await newDir();
    await copyShared('ml-100k', ['u.item', 'u.genre', 'u.user'], dir);
    await fs.writeFile(path.join(dir, 'u.data'), '1\t1\t5\t874965758\n1\t2\t7\t874965758\n');
    await fs.appendFile(path.join(dir, 'u.user'), '944|x|M|writer|00000\n');
    const { tables, skipped } = await readSourceDataset(CATALOG['ml-100k'], dir, { skipBadLines: true });
    expect(tables.ratings.length).toBe(1);
    expect(tables.users?.length).toBe(943);
    expect(skipped.byReason).toEqual({ 'rating out of range': 1, 'bad value': 1 });
    expect(skipped.examples.map((e) => `${path.basename(e.file)}:${e.line}`)).toEqual([
      'u.data:2',
      'u.user:944',
    ]);
  });
});

describe('malformed copies of ml-100k: no ratings, control bytes in titles', () => {
  /** A copy of ../shared ml-100k in a temp folder, for damaging. */
  async function ml100kCopy(): Promise<string> {
    const dir = await newDir();
    await copyShared('ml-100k', ['u.data', 'u.item', 'u.genre', 'u.user'], dir);
    return dir;
  }

  it('an empty u.data is refused naming the file, with or without --skip-bad-lines', async () => {
    const dir = await ml100kCopy();
    const file = path.join(dir, 'u.data');
    await fs.writeFile(file, '');
    for (const skipBadLines of [false, true]) {
      const error = await caught(readSourceDataset(CATALOG['ml-100k'], dir, { skipBadLines }));
      expect(error.file).toBe(file);
      expect(error.message).toBe(
        `${file}:1: no ratings: the file is empty (a download or copy that was cut short looks like this)`,
      );
    }
  });

  it('ratings.csv and ratings.dat with no rating: empty, header only, blank lines, every line skipped', async () => {
    const cases: [string, RatingsLayout, string, RegExp][] = [
      ['ratings.csv', 'csv', '', /^no ratings: the file is empty/],
      ['ratings.csv', 'csv', `userId,movieId,rating,timestamp\r\n`, /^no ratings: none of its 1 lines/],
      ['ratings.dat', 'dat', '', /^no ratings: the file is empty/],
      ['ratings.dat', 'dat', '\n\n\n', /^no ratings: none of its 3 lines/],
    ];
    for (const [name, layout, text, reason] of cases) {
      const file = await writeTemp(name, text);
      const error = await caught(readRatingsFile(file, { layout, scale: HALF_STARS }));
      expect([error.file, error.line]).toEqual([file, 1]);
      expect(error.reason).toMatch(reason);
    }
    const allBad = await writeTemp('ratings.dat', '1::2::9::100\n1::x::3::100\n');
    const skipped = await caught(
      readRatingsFile(allBad, { layout: 'dat', scale: WHOLE_STARS, skipBadLines: true }),
    );
    expect(skipped.reason).toBe('no ratings: all 2 rating lines were skipped as bad');
  });

  it('NUL and other C0 control bytes in a u.item title fail with file:line; CRLF and a trailing newline do not', async () => {
    const dir = await ml100kCopy();
    const item = path.join(dir, 'u.item');
    const original = await fs.readFile(item, 'latin1');
    for (const [byte, name] of [
      [0x00, 'NUL'],
      [0x1b, 'ESC'],
      [0x0b, 'VT'],
      [0x0d, 'CR'],
      [0x09, 'TAB'],
    ] as const) {
      // Line 2 is `2|GoldenEye (1995)|...`: the control byte goes after "Golden" (column 9).
      const lines = original.split('\n');
      lines[1] = (lines[1] as string).replace('GoldenEye', `Golden${String.fromCharCode(byte)}Eye`);
      await fs.writeFile(item, lines.join('\n'), 'latin1');
      const error = await caught(readSourceDataset(CATALOG['ml-100k'], dir));
      expect([error.file, error.line]).toEqual([item, 2]);
      expect(error.message).toBe(
        `${item}:2: control character: 0x${byte.toString(16).padStart(2, '0')} (${name}) at column 9`,
      );
    }
    await fs.writeFile(item, original.replaceAll('\n', '\r\n'), 'latin1');
    expect((await readSourceDataset(CATALOG['ml-100k'], dir)).tables.movies.length).toBe(1682);
  });

  it('control bytes in movies.dat and movies.csv titles (quoted too) are refused the same way', async () => {
    const dat = await writeTemp(
      'movies.dat',
      '1::Toy Story (1995)::Comedy\n2::Juman\x00ji (1995)::Adventure\n',
    );
    const datError = await caught(
      readMoviesFile(dat, { format: 'dat', encoding: 'latin1' }, createBadLineSink(false)),
    );
    expect([datError.line, datError.reason]).toEqual([2, 'control character: 0x00 (NUL) at column 9']);
    const csv = await writeTemp(
      'movies.csv',
      'movieId,title,genres\r\n1,Toy Story (1995),Comedy\r\n2,"Jumanji,\x07 The (1995)",Adventure\r\n',
    );
    const csvError = await caught(
      readMoviesFile(csv, { format: 'csv', encoding: 'utf8' }, createBadLineSink(false)),
    );
    expect([csvError.line, csvError.reason]).toEqual([3, 'control character: 0x07 (BEL) at column 12']);
  });

  it('--skip-bad-lines drops the movies whose titles hold control bytes and counts them', async () => {
    const dir = await ml100kCopy();
    const item = path.join(dir, 'u.item');
    const lines = (await fs.readFile(item, 'latin1')).split('\n');
    lines[0] = (lines[0] as string).replace('Toy Story', 'Toy\x00Story');
    lines[9] = (lines[9] as string).replace('|', '|\x01');
    await fs.writeFile(item, lines.join('\n'), 'latin1');
    const { tables, skipped } = await readSourceDataset(CATALOG['ml-100k'], dir, { skipBadLines: true });
    expect(tables.movies.length).toBe(1680);
    expect(tables.movies.some((m) => m.movieId === 1 || m.movieId === 10)).toBe(false);
    expect(tables.ratings.length).toBe(100_000);
    expect(skipped.byReason).toEqual({ 'control character': 2 });
    expect(skipped.examples.map((e) => `${path.basename(e.file)}:${e.line}`)).toEqual([
      'u.item:1',
      'u.item:10',
    ]);
  });
});
