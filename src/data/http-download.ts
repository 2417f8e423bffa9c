import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CancelledError, ChecksumError, DownloadError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/log.js';
import type { ProgressListener } from '../core/progress.js';

/**
 * Downloads one URL to a file: streams into `<dest>.part`, resumes a partial `.part` with an HTTP Range
 * request (a 206 appends; a 200 means the server ignored the range, so it starts over), retries network
 * errors, 5xx and 429 with exponential backoff (never 4xx), verifies md5/sha256, and only then renames the
 * part to `dest`. A failed download never leaves `dest` behind.
 */

export interface ExpectedDigests {
  md5?: string | null;
  sha256?: string | null;
}

export interface DownloadFileOptions {
  expected?: ExpectedDigests;
  /** Attempts after the first (default 4). */
  retries?: number;
  /** First backoff delay in ms, doubled per attempt (default 1000), capped at `maxBackoffMs` (30000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  onProgress?: ProgressListener;
  /** Progress phase name (default 'download <file name>'). */
  phase?: string;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface DownloadedFile {
  path: string;
  bytes: number;
  md5: string;
  sha256: string;
  /** Requests made, retries included. */
  attempts: number;
  /** Whether some attempt continued a partial file with a Range request that the server honoured. */
  resumed: boolean;
}

/** An HTTP answer that is not a success; `retryable` for 5xx and 429. */
class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly statusText: string,
  ) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
  }
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new CancelledError('download'));
    });
  });

/**
 * Downloads `url` to `dest` with resume, retries and checksum verification.
 * @example await downloadFile('https://files.grouplens.org/datasets/movielens/ml-100k.zip', 'ml-100k.zip', { expected: { md5 } });
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadFileOptions = {},
): Promise<DownloadedFile> {
  const logger = options.logger ?? silentLogger;
  const retries = options.retries ?? 4;
  const part = `${dest}.part`;
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  let attempts = 0;
  let resumed = false;
  for (;;) {
    attempts++;
    try {
      resumed = (await fetchIntoPart(url, part, options)) || resumed;
      break;
    } catch (error) {
      if (options.signal?.aborted) throw new CancelledError(`download of ${url}`);
      if (error instanceof HttpStatusError && !error.retryable)
        throw new DownloadError(url, error.message, error);
      const reason = error instanceof HttpStatusError ? error.message : describeNetworkError(error);
      if (attempts > retries) {
        throw new DownloadError(url, `${reason} (gave up after ${attempts} attempts)`, error);
      }
      const delay = Math.min(
        (options.backoffMs ?? 1000) * 2 ** (attempts - 1),
        options.maxBackoffMs ?? 30_000,
      );
      logger.warn(`download interrupted, retrying`, { url, reason, attempt: attempts, delayMs: delay });
      await sleep(delay, options.signal);
    }
  }
  const digests = await digestFile(part);
  for (const algorithm of ['md5', 'sha256'] as const) {
    const expected = options.expected?.[algorithm]?.toLowerCase();
    if (expected && expected !== digests[algorithm]) {
      await fsp.rm(part, { force: true });
      throw new ChecksumError(url, `${algorithm} ${expected}`, digests[algorithm]);
    }
  }
  await fsp.rename(part, dest);
  return { path: dest, ...digests, attempts, resumed };
}

/** One request: continues `part` from its current size. Returns whether it resumed (206). */
async function fetchIntoPart(url: string, part: string, options: DownloadFileOptions): Promise<boolean> {
  const have = (await fsp.stat(part).catch(() => null))?.size ?? 0;
  const response = await fetch(url, {
    headers: have > 0 ? { Range: `bytes=${have}-` } : {},
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let offset = 0;
  let total: number | undefined;
  if (response.status === 206 && have > 0) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== have) {
      await response.body?.cancel();
      await fsp.rm(part, { force: true });
      throw new Error(
        `server answered a range other than the one asked for (${response.headers.get('content-range')})`,
      );
    }
    offset = have;
    total = range[3] === '*' ? undefined : Number(range[3]);
  } else if (response.status === 416 && have > 0) {
    // The part is as long as (or longer than) the file: start over rather than trust it.
    await response.body?.cancel();
    await fsp.rm(part, { force: true });
    throw new Error('range not satisfiable; restarting the download');
  } else if (response.status !== 200) {
    await response.body?.cancel();
    throw new HttpStatusError(response.status, response.statusText);
  } else {
    const length = response.headers.get('content-length');
    total = length === null ? undefined : Number(length);
  }
  if (!response.body) throw new Error('response has no body');
  const phase = options.phase ?? `download ${path.basename(part, '.part')}`;
  let done = offset;
  const progress = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      options.onProgress?.({ phase, done, ...(total !== undefined ? { total } : {}), unit: 'bytes' });
      callback(null, chunk);
    },
  });
  await pipeline(
    Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
    progress,
    fs.createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' }),
  );
  if (total !== undefined && done !== total)
    throw new Error(`connection closed after ${done} of ${total} bytes`);
  return offset > 0;
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/** md5 and sha256 of a file in one streaming pass. */
export async function digestFile(file: string): Promise<{ md5: string; sha256: string; bytes: number }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let bytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    md5.update(chunk);
    sha256.update(chunk);
    bytes += chunk.length;
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex'), bytes };
}

/**
 * The MD5 GroupLens publishes beside an archive (`<url>.md5`, e.g. `MD5 (ml-latest.zip) = <hex>`), or null
 * when there is none (404) or it cannot be read.
 * @example await fetchPublishedMd5('https://files.grouplens.org/datasets/movielens/ml-latest.zip')
 */
export async function fetchPublishedMd5(url: string, signal?: AbortSignal): Promise<string | null> {
  try {
    const response = await fetch(`${url}.md5`, signal ? { signal } : {});
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    const match = /\b([0-9a-f]{32})\b/i.exec(await response.text());
    return match ? (match[1] as string).toLowerCase() : null;
  } catch {
    return null;
  }
}
