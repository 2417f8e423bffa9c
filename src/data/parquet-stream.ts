import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as arrow from 'apache-arrow';
import type { ColumnEncoding, ParquetCompression, ParquetStatistics } from './parquet.js';

/**
 * A Parquet file written by a worker thread while the caller is still producing rows: each `write` hands a
 * batch (as Arrow IPC, transferred without a copy) to the worker, which encodes and compresses it into one
 * file through parquet-wasm's streaming writer. On a two-core machine the ETL parses on one core while the
 * other compresses. The file appears under its name only after `finish()` (temp file + rename); `abort()`
 * removes it.
 *
 * The worker is plain JavaScript evaluated from a string, so it runs the same from TypeScript sources (tsx,
 * vitest) and from dist/.
 */

export interface StreamWriterOptions {
  compression?: ParquetCompression;
  rowGroupSize?: number;
  columnEncodings?: Record<string, ColumnEncoding>;
  statistics?: ParquetStatistics;
  columnCompression?: Record<string, ParquetCompression>;
}

export interface ParquetStreamWriter {
  write(table: arrow.Table): void;
  /** Waits for the worker to finish the file and renames it into place. */
  finish(): Promise<void>;
  /** Stops the worker and removes the partial file. */
  abort(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const { Writable } = require('node:stream');
(async () => {
  const parquet = await import(workerData.parquetUrl);
  let controller;
  const input = new ReadableStream({ start(c) { controller = c; } });
  parentPort.on('message', (message) => {
    if (message === 'end') return controller.close();
    for (const batch of parquet.Table.fromIPCStream(message).recordBatches()) controller.enqueue(batch);
  });
  const codecs = { zstd: parquet.Compression.ZSTD, snappy: parquet.Compression.SNAPPY, none: parquet.Compression.UNCOMPRESSED };
  const encodings = { plain: parquet.Encoding.PLAIN, delta: parquet.Encoding.DELTA_BINARY_PACKED, 'byte-stream-split': parquet.Encoding.BYTE_STREAM_SPLIT };
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(codecs[workerData.compression])
    .setMaxRowGroupSize(workerData.rowGroupSize)
    .setCreatedBy('recsys')
    .setStatisticsEnabled({ none: parquet.EnabledStatistics.None, chunk: parquet.EnabledStatistics.Chunk, page: parquet.EnabledStatistics.Page }[workerData.statistics]);
  for (const [column, codec] of Object.entries(workerData.columnCompression)) {
    builder = builder.setColumnCompression(column, codecs[codec]);
  }
  for (const [column, encoding] of Object.entries(workerData.columnEncodings)) {
    builder = builder.setColumnDictionaryEnabled(column, false).setColumnEncoding(column, encodings[encoding]);
  }
  parentPort.postMessage({ ready: true });
  const output = await parquet.transformParquetStream(input, builder.build());
  await output.pipeTo(Writable.toWeb(fs.createWriteStream(workerData.file)));
  parentPort.postMessage({ done: true });
})().catch((error) => parentPort.postMessage({ error: String((error && error.stack) || error) }));
`;

const require = createRequire(import.meta.url);

/**
 * Starts a worker writing `file` (through a temp name beside it).
 * @example const w = await createParquetStreamWriter('ratings.parquet'); w.write(batch); await w.finish();
 */
export async function createParquetStreamWriter(
  file: string,
  options: StreamWriterOptions = {},
): Promise<ParquetStreamWriter> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      parquetUrl: pathToFileURL(require.resolve('parquet-wasm/node')).href,
      file: temp,
      compression: options.compression ?? 'zstd',
      rowGroupSize: options.rowGroupSize ?? 1_000_000,
      columnEncodings: options.columnEncodings ?? {},
      statistics: options.statistics ?? 'page',
      columnCompression: options.columnCompression ?? {},
    },
  });
  let settled = false;
  const done = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: { done?: boolean; error?: string }) => {
      if (message.done) resolve();
      if (message.error) reject(new Error(`Parquet writer thread failed: ${message.error}`));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`Parquet writer thread exited (${code}) before finishing`)));
  });
  done.catch(() => undefined); // observed in finish(); avoids an unhandled rejection after abort()
  return {
    write(table) {
      const ipc = arrow.tableToIPC(table, 'stream');
      const whole = ipc.byteOffset === 0 && ipc.byteLength === ipc.buffer.byteLength;
      worker.postMessage(ipc, whole ? [ipc.buffer as ArrayBuffer] : []);
    },
    async finish() {
      worker.postMessage('end');
      try {
        await done;
        await fs.rename(temp, file);
      } catch (error) {
        await fs.rm(temp, { force: true });
        throw error;
      } finally {
        settled = true;
        await worker.terminate();
      }
    },
    async abort() {
      if (settled) return;
      settled = true;
      await worker.terminate();
      await fs.rm(temp, { force: true });
    },
  };
}
