import * as arrow from 'apache-arrow';
import { DataFormatError } from '../core/errors.js';
import { nullableInt32Vector, utf8ListVector, utf8Vector } from './arrow-columns.js';
import {
  type ColumnEncoding,
  type ParquetCompression,
  type ParquetStatistics,
  readParquetFile,
  writeParquetFile,
} from './parquet.js';
import {
  genreString,
  MOVIES_COLUMNS,
  type MovieRow,
  RATINGS_COLUMNS,
  type RatingsTable,
  USERS_COLUMNS,
  type UserRow,
} from './schema.js';

/**
 * The ETL's three tables as Parquet (names and types from schema.ts), zstd-compressed, each written to a
 * temp file and renamed. Reading `ratings.parquet` back is `readRatingsParquet` in parquet.ts.
 */

/**
 * Timestamps (whole seconds in a Float64Array) as an int64 column, written through the two 32-bit halves so
 * no BigInt is made per value.
 */
export function toInt64Column(values: Float64Array): BigInt64Array {
  const out = new BigInt64Array(values.length);
  const words = new Int32Array(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const low = v >>> 0;
    words[2 * i] = low;
    words[2 * i + 1] = (v - low) / 4294967296;
  }
  return out;
}

/**
 * Writes `ratings.parquet`: user_id int32, movie_id int32, rating float32, timestamp int64 (the last two only
 * when the table has them). Settings (RATINGS_WRITE_OPTIONS) were picked by measuring 10M ml-25m-shaped rows
 * and the real releases (docs/benchmarks.md): delta and byte-stream-split encodings instead of dictionaries,
 * zstd only on the columns it shrinks, no statistics. 10M rows: 0.63 s of CPU against 2.1 s for plain zstd
 * columns, for a file of the same size (21% of the CSV).
 * @example await writeRatingsParquet('out/ratings.parquet', table);
 */
export async function writeRatingsParquet(file: string, ratings: RatingsTable): Promise<void> {
  await writeParquetFile(file, ratingsArrowTable(ratings), RATINGS_WRITE_OPTIONS);
}

/**
 * How `ratings.parquet` is written (see writeRatingsParquet): ids and timestamps delta-encoded, ratings
 * byte-stream-split; zstd on user ids and ratings, where it shrinks the column 3-10x; none on the
 * delta-packed movie ids and timestamps, where zstd saved 0-2% (ml-100k, ml-latest-small, ml-1m and 10M
 * generated rows) for 40% of the write time; no min/max statistics (the tables are read whole).
 */
export const RATINGS_WRITE_OPTIONS = {
  compression: 'zstd',
  columnEncodings: {
    [RATINGS_COLUMNS.userId]: 'delta',
    [RATINGS_COLUMNS.movieId]: 'delta',
    [RATINGS_COLUMNS.rating]: 'byte-stream-split',
    [RATINGS_COLUMNS.timestamp]: 'delta',
  },
  columnCompression: { [RATINGS_COLUMNS.movieId]: 'none', [RATINGS_COLUMNS.timestamp]: 'none' },
  statistics: 'none',
} as const satisfies {
  compression: ParquetCompression;
  columnEncodings: Record<string, ColumnEncoding>;
  columnCompression: Record<string, ParquetCompression>;
  statistics: ParquetStatistics;
};

/**
 * Ratings as an Arrow table with the `ratings.parquet` columns (ids and ratings without copying).
 * @example const table = ratingsArrowTable(ratings); table.numRows === ratings.length;
 */
export function ratingsArrowTable(ratings: RatingsTable): arrow.Table {
  const columns: Record<string, arrow.Vector> = {
    [RATINGS_COLUMNS.userId]: arrow.makeVector(ratings.userId.subarray(0, ratings.length)),
    [RATINGS_COLUMNS.movieId]: arrow.makeVector(ratings.movieId.subarray(0, ratings.length)),
  };
  if (ratings.rating)
    columns[RATINGS_COLUMNS.rating] = arrow.makeVector(ratings.rating.subarray(0, ratings.length));
  if (ratings.timestamp) {
    columns[RATINGS_COLUMNS.timestamp] = arrow.makeVector(
      toInt64Column(ratings.timestamp.subarray(0, ratings.length)),
    );
  }
  return new arrow.Table(columns);
}

/**
 * Writes `movies.parquet`: movie_id int32, title utf8, year int32 (nullable), genres utf8 (MovieLens's pipe
 * string) and genre_list list<utf8>.
 * @example await writeMoviesParquet('out/movies.parquet', movies);
 */
export async function writeMoviesParquet(file: string, movies: readonly MovieRow[]): Promise<void> {
  const table = new arrow.Table({
    [MOVIES_COLUMNS.movieId]: arrow.makeVector(Int32Array.from(movies, (m) => m.movieId)),
    [MOVIES_COLUMNS.title]: utf8Vector(movies.map((m) => m.title)),
    [MOVIES_COLUMNS.year]: nullableInt32Vector(movies.map((m) => m.year)),
    [MOVIES_COLUMNS.genres]: utf8Vector(movies.map(genreString)),
    [MOVIES_COLUMNS.genreList]: utf8ListVector(movies.map((m) => m.genres)),
  });
  await writeParquetFile(file, table);
}

/**
 * Writes `users.parquet`: user_id int32, gender, age int32, occupation, zip (all but the id nullable).
 * @example await writeUsersParquet('out/users.parquet', users);
 */
export async function writeUsersParquet(file: string, users: readonly UserRow[]): Promise<void> {
  const table = new arrow.Table({
    [USERS_COLUMNS.userId]: arrow.makeVector(Int32Array.from(users, (u) => u.userId)),
    [USERS_COLUMNS.gender]: utf8Vector(users.map((u) => u.gender)),
    [USERS_COLUMNS.age]: nullableInt32Vector(users.map((u) => u.age)),
    [USERS_COLUMNS.occupation]: utf8Vector(users.map((u) => u.occupation)),
    [USERS_COLUMNS.zip]: utf8Vector(users.map((u) => u.zip)),
  });
  await writeParquetFile(file, table);
}

function requireColumn(table: arrow.Table, name: string, file: string): arrow.Vector {
  const column = table.getChild(name);
  if (!column) throw new DataFormatError(file, 0, `column '${name}' is missing`);
  return column;
}

/**
 * Reads a `movies.parquet` written by the ETL.
 * @example const movies = await readMoviesParquet('data/parquet/ml-1m/movies.parquet');
 */
export async function readMoviesParquet(file: string): Promise<MovieRow[]> {
  const table = await readParquetFile(file);
  const ids = requireColumn(table, MOVIES_COLUMNS.movieId, file);
  const titles = requireColumn(table, MOVIES_COLUMNS.title, file);
  const years = requireColumn(table, MOVIES_COLUMNS.year, file);
  const genreLists = requireColumn(table, MOVIES_COLUMNS.genreList, file);
  const movies: MovieRow[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const list = genreLists.get(i) as arrow.Vector | null;
    movies[i] = {
      movieId: ids.get(i) as number,
      title: (titles.get(i) as string | null) ?? '',
      year: (years.get(i) as number | null) ?? null,
      genres: list ? (list.toArray() as string[]) : [],
    };
  }
  return movies;
}

/**
 * Reads a `users.parquet` written by the ETL.
 * @example const users = await readUsersParquet('data/parquet/ml-1m/users.parquet');
 */
export async function readUsersParquet(file: string): Promise<UserRow[]> {
  const table = await readParquetFile(file);
  const ids = requireColumn(table, USERS_COLUMNS.userId, file);
  const genders = requireColumn(table, USERS_COLUMNS.gender, file);
  const ages = requireColumn(table, USERS_COLUMNS.age, file);
  const occupations = requireColumn(table, USERS_COLUMNS.occupation, file);
  const zips = requireColumn(table, USERS_COLUMNS.zip, file);
  const users: UserRow[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const gender = genders.get(i) as string | null;
    if (gender !== null && gender !== 'M' && gender !== 'F') {
      throw new DataFormatError(file, i + 1, `gender '${gender}' is not M or F`);
    }
    users[i] = {
      userId: ids.get(i) as number,
      gender,
      age: (ages.get(i) as number | null) ?? null,
      occupation: (occupations.get(i) as string | null) ?? null,
      zip: (zips.get(i) as string | null) ?? null,
    };
  }
  return users;
}
