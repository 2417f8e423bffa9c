import fs from 'node:fs/promises';
import { DataFormatError } from '../../core/errors.js';
import type { RatingScale } from '../catalog.js';
import type { RatingsTable } from '../schema.js';
import { type BadLineSink, createBadLineSink, type SkipReport } from './bad-lines.js';
import { diagnoseRatingLine, MAX_TIMESTAMP_DIGITS } from './ratings-diagnose.js';
import { removeDuplicatePairs } from './duplicates.js';
import { createLineSplitter, readChunks } from './lines.js';

/**
 * Ratings files (`u.data`, `ratings.dat`, `ratings.csv`) parsed by a byte-level state machine: digits go
 * straight into numbers and typed arrays, no string is built per line. Only a line that breaks the fast path
 * is decoded, to say exactly what is wrong with it.
 */

/** Field separators of the three layouts: TAB (`u.data`), `::` (`.dat`), `,` (CSV, with a header line). */
export type RatingsLayout = 'tab' | 'dat' | 'csv';

export const CSV_RATINGS_HEADER = 'userId,movieId,rating,timestamp';

export interface ReadRatingsOptions {
  layout: RatingsLayout;
  scale: RatingScale;
  skipBadLines?: boolean;
  /** Also compute the sha256 of the file's bytes (read in the same pass). */
  hash?: boolean;
  /**
   * Hands parsed rows over while reading, `batchRows` at a time (the last batch may be shorter), so a writer
   * can work in parallel. Batches are views: copy what you keep. Duplicate pairs are only known at the end:
   * compare `parsedRows` with the final table's length.
   */
  onRows?: (batch: RatingsTable) => void;
  batchRows?: number;
}

export interface RatingsFileResult {
  table: RatingsTable;
  /** Lines in the file, header and blank lines included. */
  lines: number;
  /** Rows parsed before duplicate pairs were removed (all of them went to `onRows`). */
  parsedRows: number;
  bytes: number;
  sha256: string | null;
  skipped: SkipReport;
}

interface ParseState {
  n: number;
  capacity: number;
  userId: Int32Array;
  movieId: Int32Array;
  rating: Float32Array;
  timestamp: Float64Array;
  /** Line numbers (ascending) that produced no row: header, blank and skipped lines. */
  unstored: number[];
  /** Whether every row so far came after the previous one in (user, movie) order: then none repeats. */
  ascending: boolean;
  lastUser: number;
  lastMovie: number;
}

/**
 * Reads a ratings file into columns, streaming. Throws DataFormatError(file, line, reason) on the first bad
 * line (wrong field count, non-numeric id, bad or out-of-range rating, bad timestamp, duplicate user-movie
 * pair) unless `skipBadLines`, which drops and counts them instead, and always when the file holds no
 * rating at all (`no ratings`, see noRatingsError).
 * @example const { table } = await readRatingsFile('ml-100k/u.data', { layout: 'tab', scale: WHOLE_STARS });
 */
export async function readRatingsFile(file: string, options: ReadRatingsOptions): Promise<RatingsFileResult> {
  const sink = createBadLineSink(options.skipBadLines ?? false);
  const { size } = await fs.stat(file);
  const capacity = Math.max(1024, Math.ceil(size / 20));
  const state: ParseState = {
    n: 0,
    capacity,
    userId: new Int32Array(capacity),
    movieId: new Int32Array(capacity),
    rating: new Float32Array(capacity),
    timestamp: new Float64Array(capacity),
    unstored: [],
    ascending: true,
    lastUser: -1,
    lastMovie: -1,
  };
  const parse = createBlockParser(file, options, state, sink);
  let emitted = 0;
  const emit = (upTo: number): void => {
    if (!options.onRows || upTo <= emitted) return;
    options.onRows({
      length: upTo - emitted,
      userId: state.userId.subarray(emitted, upTo),
      movieId: state.movieId.subarray(emitted, upTo),
      rating: state.rating.subarray(emitted, upTo),
      timestamp: state.timestamp.subarray(emitted, upTo),
    });
    emitted = upTo;
  };
  const batchRows = options.batchRows ?? 1_000_000;
  const splitter = createLineSplitter((buf, start, end, firstLineNo) => {
    const lines = parse(buf, start, end, firstLineNo);
    if (options.onRows) while (state.n - emitted >= batchRows) emit(emitted + batchRows);
    return lines;
  });
  const { bytes, sha256 } = await readChunks(file, (chunk) => splitter.push(chunk), {
    hash: options.hash ?? false,
  });
  splitter.end();
  emit(state.n);
  if (state.n === 0) throw noRatingsError(file, splitter.lines, sink.report().total);
  const parsed: RatingsTable = {
    length: state.n,
    userId: state.userId.subarray(0, state.n),
    movieId: state.movieId.subarray(0, state.n),
    rating: state.rating.subarray(0, state.n),
    timestamp: state.timestamp.subarray(0, state.n),
  };
  // Files sorted by user then movie (ml-20m, ml-25m, ml-latest) cannot repeat a pair: skip the search.
  const table = state.ascending
    ? parsed
    : removeDuplicatePairs(parsed, file, (row) => lineOfRow(row, state.unstored), sink);
  return { table, lines: splitter.lines, parsedRows: state.n, bytes, sha256, skipped: sink.report() };
}

/**
 * The error for a ratings file that yields no rating at all: an empty file (a cut download looks exactly like
 * this), a header alone, blank lines, or nothing but skipped bad lines. Never skippable: a dataset of zero
 * ratings is useless to everything downstream.
 * @example noRatingsError('ml-100k/u.data', 0, 0).message // 'ml-100k/u.data:1: no ratings: the file is empty ...'
 */
export function noRatingsError(file: string, lines: number, skipped: number): DataFormatError {
  const why =
    lines === 0
      ? 'the file is empty (a download or copy that was cut short looks like this)'
      : skipped > 0
        ? `all ${skipped} rating lines were skipped as bad`
        : `none of its ${lines} lines is a rating`;
  return new DataFormatError(file, 1, `no ratings: ${why}`);
}

/** The 1-based line of stored row `row`, given the ascending line numbers that stored nothing. */
export function lineOfRow(row: number, unstored: readonly number[]): number {
  let line = row + 1;
  for (const u of unstored) {
    if (u <= line) line++;
    else break;
  }
  return line;
}

function grow(state: ParseState): void {
  const capacity = Math.ceil(state.capacity * 1.5) + 1024;
  const resize = <T extends Int32Array | Float32Array | Float64Array>(a: T, make: (n: number) => T): T => {
    const b = make(capacity);
    b.set(a);
    return b;
  };
  state.userId = resize(state.userId, (n) => new Int32Array(n));
  state.movieId = resize(state.movieId, (n) => new Int32Array(n));
  state.rating = resize(state.rating, (n) => new Float32Array(n));
  state.timestamp = resize(state.timestamp, (n) => new Float64Array(n));
  state.capacity = capacity;
}

const MAX_ID = 0x7fffffff;

/**
 * Returns the splitter callback that parses a block of whole lines (`buf[start, end)` ends with `\n`) and
 * returns how many lines it consumed.
 */
function createBlockParser(
  file: string,
  options: ReadRatingsOptions,
  state: ParseState,
  sink: BadLineSink,
): (buf: Buffer, start: number, end: number, firstLineNo: number) => number {
  const sep = options.layout === 'tab' ? 9 : options.layout === 'dat' ? 58 : 44;
  const sepLen = options.layout === 'dat' ? 2 : 1;
  const { min, max, step } = options.scale;
  const header = options.layout === 'csv';
  const diagnose = (buf: Buffer, lineStart: number, lineNo: number): number => {
    const nl = buf.indexOf(10, lineStart);
    let e = nl;
    if (e > lineStart && buf[e - 1] === 13) e--;
    if (!(header && lineNo === 1)) state.unstored.push(lineNo);
    diagnoseRatingLine(buf.toString('latin1', lineStart, e), file, lineNo, options, sink);
    return nl + 1;
  };

  return (buf, start, end, firstLineNo) => {
    let lineNo = firstLineNo;
    let p = start;
    let n = state.n;
    let userIds = state.userId;
    let movieIds = state.movieId;
    let ratings = state.rating;
    let timestamps = state.timestamp;
    let ascending = state.ascending;
    let lastUser = state.lastUser;
    let lastMovie = state.lastMovie;
    while (p < end) {
      const lineStart = p;
      let c = buf[p] as number;
      if (header && lineNo === 1) {
        p = checkHeader(buf, p, file, sink, state);
        lineNo++;
        continue;
      }
      if (c === 10 || (c === 13 && buf[p + 1] === 10)) {
        state.unstored.push(lineNo);
        p = buf.indexOf(10, p) + 1;
        lineNo++;
        continue;
      }
      // user id
      let user = 0;
      let digits = 0;
      while (c >= 48 && c <= 57) {
        user = user * 10 + c - 48;
        digits++;
        c = buf[++p] as number;
      }
      if (digits === 0 || digits > 10 || user > MAX_ID || c !== sep || (sepLen === 2 && buf[p + 1] !== sep)) {
        p = diagnose(buf, lineStart, lineNo++);
        continue;
      }
      p += sepLen;
      c = buf[p] as number;
      // movie id
      let movie = 0;
      digits = 0;
      while (c >= 48 && c <= 57) {
        movie = movie * 10 + c - 48;
        digits++;
        c = buf[++p] as number;
      }
      if (
        digits === 0 ||
        digits > 10 ||
        movie > MAX_ID ||
        c !== sep ||
        (sepLen === 2 && buf[p + 1] !== sep)
      ) {
        p = diagnose(buf, lineStart, lineNo++);
        continue;
      }
      p += sepLen;
      c = buf[p] as number;
      // rating: digits, optionally '.' and more digits
      let rating = 0;
      digits = 0;
      while (c >= 48 && c <= 57) {
        rating = rating * 10 + c - 48;
        digits++;
        c = buf[++p] as number;
      }
      if (c === 46 && digits > 0) {
        c = buf[++p] as number;
        let scale = 1;
        while (c >= 48 && c <= 57) {
          rating = rating * 10 + c - 48;
          scale *= 10;
          c = buf[++p] as number;
        }
        if (scale === 1) digits = 0;
        rating /= scale;
      }
      if (digits === 0 || c !== sep || (sepLen === 2 && buf[p + 1] !== sep)) {
        p = diagnose(buf, lineStart, lineNo++);
        continue;
      }
      p += sepLen;
      c = buf[p] as number;
      // timestamp
      let time = 0;
      digits = 0;
      while (c >= 48 && c <= 57) {
        time = time * 10 + c - 48;
        digits++;
        c = buf[++p] as number;
      }
      if (c === 13) c = buf[++p] as number;
      const steps = (rating - min) / step;
      if (
        digits === 0 ||
        digits > MAX_TIMESTAMP_DIGITS ||
        c !== 10 ||
        rating < min ||
        rating > max ||
        steps !== Math.floor(steps)
      ) {
        p = diagnose(buf, lineStart, lineNo++);
        continue;
      }
      p++;
      if (n === state.capacity) {
        state.n = n;
        grow(state);
        userIds = state.userId;
        movieIds = state.movieId;
        ratings = state.rating;
        timestamps = state.timestamp;
      }
      if (ascending && !(user > lastUser || (user === lastUser && movie > lastMovie))) ascending = false;
      lastUser = user;
      lastMovie = movie;
      userIds[n] = user;
      movieIds[n] = movie;
      ratings[n] = rating;
      timestamps[n] = time;
      n++;
      lineNo++;
    }
    state.n = n;
    state.ascending = ascending;
    state.lastUser = lastUser;
    state.lastMovie = lastMovie;
    return lineNo - firstLineNo;
  };
}

function checkHeader(buf: Buffer, p: number, file: string, sink: BadLineSink, state: ParseState): number {
  const nl = buf.indexOf(10, p);
  let text = buf.toString('latin1', p, nl).replace(/\r$/, '');
  if (text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3); // UTF-8 byte order mark
  state.unstored.push(1);
  if (text !== CSV_RATINGS_HEADER) {
    sink.fault(file, 1, 'bad header', `expected '${CSV_RATINGS_HEADER}', found '${text}'`);
  }
  return nl + 1;
}
