import type { SourceFormat, TextEncoding } from '../catalog.js';
import type { MovieRow } from '../schema.js';
import { type BadLineSink, parseId } from './bad-lines.js';
import { createCsvRecordJoiner, parseCsvRecord } from './csv.js';
import { forEachTextLine, type TextLine } from './text.js';

/**
 * Movie files: ml-100k `u.item` (pipe-separated, 19 genre flag columns named by `u.genre`), `.dat`
 * `movies.dat` (`MovieID::Title::Genres`) and CSV `movies.csv` (`movieId,title,genres`, quoted titles).
 */

export const NO_GENRES = '(no genres listed)';

export interface ReadMoviesOptions {
  format: SourceFormat;
  encoding: TextEncoding;
  /** ml-100k: the genre names of `u.item`'s flag columns, in order (from `readGenreNames`). */
  genreNames?: readonly string[];
  hash?: boolean;
}

/**
 * The year in a MovieLens title's trailing `(1995)` (also `(2006-2007)` ranges: the first year), else null.
 * @example titleYear('Misérables, Les (1995)') // 1995
 */
export function titleYear(title: string): number | null {
  const match = /\((\d{4})(?:[-\u2013]\d{0,4})?\)\s*$/.exec(title);
  return match ? Number(match[1]) : null;
}

/**
 * Genres from MovieLens's pipe string; `(no genres listed)` and the empty string give no genres.
 * @example parseGenres('Comedy|Drama') // ['Comedy', 'Drama']
 */
export function parseGenres(genres: string): string[] {
  if (genres === '' || genres === NO_GENRES) return [];
  return genres.split('|');
}

/**
 * Reads ml-100k's `u.genre` (`name|id` lines, a blank line at the end) into names ordered by id.
 * @example await readGenreNames('ml-100k/u.genre', sink) // ['unknown', 'Action', ...]
 */
export async function readGenreNames(file: string, sink: BadLineSink): Promise<string[]> {
  const names: string[] = [];
  await forEachTextLine(file, 'latin1', sink, ({ text, line }) => {
    const fields = text.split('|');
    const id = fields.length === 2 ? parseId(fields[1] as string) : null;
    if (fields.length !== 2)
      sink.fault(file, line, 'field count', `expected 2 fields, found ${fields.length}`);
    else if (id === null) sink.fault(file, line, 'non-numeric id', `genre id ${JSON.stringify(fields[1])}`);
    else if (names[id] !== undefined) sink.fault(file, line, 'duplicate', `genre id ${id} appears twice`);
    else names[id] = fields[0] as string;
  });
  for (let i = 0; i < names.length; i++) {
    if (names[i] === undefined) sink.fault(file, 0, 'bad value', `genre id ${i} is missing`);
  }
  return names.filter((n): n is string => n !== undefined);
}

/**
 * Reads a movies file in one of the three layouts, streaming line by line.
 * @example const { movies } = await readMoviesFile('ml-1m/movies.dat', { format: 'dat', encoding: 'latin1' }, sink);
 */
export async function readMoviesFile(
  file: string,
  options: ReadMoviesOptions,
  sink: BadLineSink,
): Promise<{ movies: MovieRow[]; sha256: string | null }> {
  const movies: MovieRow[] = [];
  const seen = new Set<number>();
  const add = (line: number, idField: string, title: string, genres: string[]): void => {
    const movieId = parseId(idField);
    if (movieId === null)
      return sink.fault(file, line, 'non-numeric id', `movie id ${JSON.stringify(idField)}`);
    if (seen.has(movieId))
      return sink.fault(file, line, 'duplicate', `movie ${movieId} appears on an earlier line`);
    seen.add(movieId);
    movies.push({ movieId, title, year: titleYear(title), genres });
  };
  let onLine: (line: TextLine) => void;
  let finish = (): void => undefined;
  if (options.format === 'ml-100k') {
    const genreNames = options.genreNames ?? [];
    const expected = 5 + genreNames.length;
    onLine = ({ text, line }) => {
      const fields = text.split('|');
      if (fields.length !== expected) {
        return sink.fault(file, line, 'field count', `expected ${expected} fields, found ${fields.length}`);
      }
      const genres: string[] = [];
      for (let g = 0; g < genreNames.length; g++) {
        const flag = fields[5 + g];
        if (flag !== '0' && flag !== '1') {
          return sink.fault(
            file,
            line,
            'bad value',
            `genre flag ${g + 1} is ${JSON.stringify(flag)}, not 0 or 1`,
          );
        }
        if (flag === '1') genres.push(genreNames[g] as string);
      }
      add(line, fields[0] as string, fields[1] as string, genres);
    };
  } else if (options.format === 'dat') {
    onLine = ({ text, line }) => {
      const fields = text.split('::');
      if (fields.length !== 3)
        return sink.fault(file, line, 'field count', `expected 3 fields, found ${fields.length}`);
      add(line, fields[0] as string, fields[1] as string, parseGenres(fields[2] as string));
    };
  } else {
    const joiner = createCsvRecordJoiner();
    const onRecord = (record: { text: string; line: number }): void => {
      if (record.line === 1) {
        if (record.text.replace(/^\ufeff/, '') !== 'movieId,title,genres') {
          sink.fault(file, 1, 'bad header', `expected 'movieId,title,genres', found '${record.text}'`);
        }
        return;
      }
      const fields = parseCsvRecord(record.text);
      if (!Array.isArray(fields)) return sink.fault(file, record.line, 'bad value', fields.error);
      if (fields.length !== 3) {
        return sink.fault(file, record.line, 'field count', `expected 3 fields, found ${fields.length}`);
      }
      add(record.line, fields[0] as string, fields[1] as string, parseGenres(fields[2] as string));
    };
    onLine = (l) => {
      const record = joiner.push(l.text, l.line);
      if (record) onRecord(record);
    };
    finish = () => {
      const open = joiner.flush();
      if (open)
        sink.fault(file, open.line, 'bad value', 'a quoted field is not closed before the end of the file');
    };
  }
  const { sha256 } = await forEachTextLine(file, options.encoding, sink, onLine, {
    hash: options.hash ?? false,
  });
  finish();
  return { movies, sha256 };
}
