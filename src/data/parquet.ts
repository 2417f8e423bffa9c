import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as arrow from 'apache-arrow';
import * as parquet from 'parquet-wasm/node';
import { DataFormatError } from '../core/errors.js';
import { RATINGS_COLUMNS, type RatingsTable } from './schema.js';

/**
 * Parquet I/O through parquet-wasm (Rust's parquet crate compiled to WASM) and Arrow tables (see
 * docs/architecture.md for the measurements behind the choice). Writes go to a temp file that is renamed into
 * place, so a reader never sees half a file.
 */

export type ParquetCompression = 'zstd' | 'snappy' | 'none';

/** Column encodings a writer may ask for instead of the default dictionary. */
export type ColumnEncoding = 'plain' | 'delta' | 'byte-stream-split';

const PARQUET_CODECS: Record<ParquetCompression, parquet.Compression> = {
  zstd: parquet.Compression.ZSTD,
  snappy: parquet.Compression.SNAPPY,
  none: parquet.Compression.UNCOMPRESSED,
};

/** Which min/max statistics a writer computes. */
export type ParquetStatistics = 'none' | 'chunk' | 'page';

const PARQUET_STATISTICS: Record<ParquetStatistics, parquet.EnabledStatistics> = {
  none: parquet.EnabledStatistics.None,
  chunk: parquet.EnabledStatistics.Chunk,
  page: parquet.EnabledStatistics.Page,
};

const PARQUET_ENCODINGS: Record<ColumnEncoding, parquet.Encoding> = {
  plain: parquet.Encoding.PLAIN,
  delta: parquet.Encoding.DELTA_BINARY_PACKED,
  'byte-stream-split': parquet.Encoding.BYTE_STREAM_SPLIT,
};

/**
 * Writes an Arrow table as Parquet, atomically (temp file + rename).
 * @example await writeParquetFile('ratings.parquet', arrow.tableFromArrays({ user_id: Int32Array.of(1) }));
 */
export async function writeParquetFile(
  file: string,
  table: arrow.Table,
  options: {
    compression?: ParquetCompression;
    rowGroupSize?: number;
    metadata?: Record<string, string>;
    /** Per-column encoding instead of the default dictionary (which costs time on high-cardinality columns):
     * 'delta' (DELTA_BINARY_PACKED, for sorted or clustered integers), 'byte-stream-split' (floats) or 'plain'. */
    columnEncodings?: Record<string, ColumnEncoding>;
    /** Min/max statistics per page (the default), per column chunk, or none (cheaper to write). */
    statistics?: ParquetStatistics;
    /** Per-column codec overriding `compression` (e.g. none where an encoding already packs the values). */
    columnCompression?: Record<string, ParquetCompression>;
  } = {},
): Promise<void> {
  const codec = PARQUET_CODECS[options.compression ?? 'zstd'];
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(codec)
    .setMaxRowGroupSize(options.rowGroupSize ?? 1_000_000)
    .setCreatedBy('recsys');
  if (options.metadata) builder = builder.setKeyValueMetadata(new Map(Object.entries(options.metadata)));
  if (options.statistics) builder = builder.setStatisticsEnabled(PARQUET_STATISTICS[options.statistics]);
  for (const [column, compression] of Object.entries(options.columnCompression ?? {})) {
    builder = builder.setColumnCompression(column, PARQUET_CODECS[compression]);
  }
  for (const [column, encoding] of Object.entries(options.columnEncodings ?? {})) {
    builder = builder
      .setColumnDictionaryEnabled(column, false)
      .setColumnEncoding(column, PARQUET_ENCODINGS[encoding]);
  }
  const bytes = parquet.writeParquet(
    parquet.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')),
    builder.build(),
  );
  await writeFileAtomic(file, bytes);
}

/**
 * Reads a Parquet file (optionally only some columns) into an Arrow table.
 * @example const table = await readParquetFile('ratings.parquet', ['user_id']);
 */
export async function readParquetFile(file: string, columns?: string[]): Promise<arrow.Table> {
  const bytes = await fs.readFile(file);
  const wasmTable = parquet.readParquet(bytes, columns ? { columns } : undefined);
  return arrow.tableFromIPC(wasmTable.intoIPCStream());
}

/** Writes bytes to `file` through a temp file in the same directory and a rename. */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

/** A numeric column as one contiguous typed array (copies only when the column has several chunks). */
export function numericColumn<T extends Int32Array | Float32Array | Float64Array | BigInt64Array>(
  table: arrow.Table,
  name: string,
  ArrayType: { new (n: number): T },
): T {
  const column = table.getChild(name);
  if (!column) throw new DataFormatError(name, 0, `column '${name}' is missing`);
  const values = column.toArray() as ArrayLike<number | bigint>;
  if (values instanceof ArrayType) return values as T;
  const out = new ArrayType(values.length);
  if (values instanceof BigInt64Array && out instanceof Float64Array) {
    // Whole seconds fit in 53 bits; reading the two 32-bit halves avoids a BigInt per value.
    const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
    for (let i = 0; i < values.length; i++) {
      out[i] = (words[2 * i + 1] as number) * 4294967296 + ((words[2 * i] as number) >>> 0);
    }
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | bigint;
    (out as unknown as (number | bigint)[])[i] = out instanceof BigInt64Array ? BigInt(v) : Number(v);
  }
  return out;
}

/**
 * A column of integer ids, whether stored as integers or as decimal strings (Spark's ml-1m export stores
 * `"1193"`). Strings are parsed from Arrow's UTF-8 buffers without building JS strings.
 */
export function integerIdColumn(table: arrow.Table, name: string, file: string): Int32Array {
  const column = table.getChild(name);
  if (!column) throw new DataFormatError(file, 0, `column '${name}' is missing`);
  if (!arrow.DataType.isUtf8(column.type) && !arrow.DataType.isLargeUtf8(column.type)) {
    return numericColumn(table, name, Int32Array);
  }
  const out = new Int32Array(column.length);
  let row = 0;
  for (const chunk of column.data) {
    const offsets = chunk.valueOffsets as Int32Array;
    const bytes = chunk.values as Uint8Array;
    for (let i = 0; i < chunk.length; i++, row++) {
      if (!chunk.getValid(i)) throw new DataFormatError(file, row + 1, `column '${name}' is null`);
      const start = Number(offsets[chunk.offset + i]);
      const end = Number(offsets[chunk.offset + i + 1]);
      let value = 0;
      if (end <= start || end - start > 10)
        throw new DataFormatError(file, row + 1, `column '${name}' is not an integer id`);
      for (let p = start; p < end; p++) {
        const d = (bytes[p] as number) - 48;
        if (d < 0 || d > 9) {
          const text = Buffer.from(bytes.subarray(start, end)).toString('utf8');
          throw new DataFormatError(file, row + 1, `column '${name}' is not an integer id: '${text}'`);
        }
        value = value * 10 + d;
      }
      if (value > 0x7fffffff)
        throw new DataFormatError(file, row + 1, `column '${name}' id ${value} is out of range`);
      out[row] = value;
    }
  }
  return out;
}

/** Column names of a generic interactions file (flags `--user-col`, `--item-col`, ...). */
export interface InteractionColumns {
  user: string;
  item: string;
  rating?: string;
  timestamp?: string;
}

/**
 * Reads any Parquet file of user-item interactions (ids as integers or decimal strings; rating and timestamp
 * optional), e.g. `../shared/movielens/ml-1m/interactions.parquet` with `{ user: 'userID', item: 'movieID' }`.
 * @example const ratings = await readInteractionsParquet(file, { user: 'userID', item: 'movieID' });
 */
export async function readInteractionsParquet(
  file: string,
  columns: InteractionColumns,
): Promise<RatingsTable> {
  const wanted = [columns.user, columns.item, columns.rating, columns.timestamp].filter(
    (c): c is string => c !== undefined,
  );
  return interactionsFromArrow(await readParquetFile(file, wanted), columns, file);
}

/** Reads a `ratings.parquet` written by the ETL (RATINGS_COLUMNS; rating and timestamp may be absent). */
export async function readRatingsParquet(file: string): Promise<RatingsTable> {
  const table = await readParquetFile(file);
  const names = new Set(table.schema.fields.map((f) => f.name));
  return interactionsFromArrow(
    table,
    {
      user: RATINGS_COLUMNS.userId,
      item: RATINGS_COLUMNS.movieId,
      ...(names.has(RATINGS_COLUMNS.rating) ? { rating: RATINGS_COLUMNS.rating } : {}),
      ...(names.has(RATINGS_COLUMNS.timestamp) ? { timestamp: RATINGS_COLUMNS.timestamp } : {}),
    },
    file,
  );
}

function interactionsFromArrow(table: arrow.Table, columns: InteractionColumns, file: string): RatingsTable {
  const userId = integerIdColumn(table, columns.user, file);
  const movieId = integerIdColumn(table, columns.item, file);
  const rating = columns.rating === undefined ? null : numericColumn(table, columns.rating, Float32Array);
  const timestamp =
    columns.timestamp === undefined ? null : numericColumn(table, columns.timestamp, Float64Array);
  return { length: userId.length, userId, movieId, rating, timestamp };
}
