import { isUtf8 } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';

/**
 * Streaming byte-level line access to source files. Files are read in chunks and handed out as byte ranges,
 * so no file is ever held as one string; a line that straddles two chunks is stitched into a small buffer.
 * Callers decode only the fields they need (latin-1 or UTF-8), and big ratings files are parsed straight
 * from the bytes.
 */

/** Called for each line: `buf[start, end)` holds the line without its `\n` and without a trailing `\r`. */
export type LineHandler = (buf: Buffer, start: number, end: number, lineNo: number) => void;

export interface ScanResult {
  /** Lines seen (the last line counts even without a final newline). */
  lines: number;
  bytes: number;
  /** Hex sha256 of the file's bytes when `hash` was asked for. */
  sha256: string | null;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Reads a file chunk by chunk, calling `onChunk` with each chunk and feeding an optional sha256.
 * @example await readChunks('u.data', (chunk) => count += chunk.length, { hash: true });
 */
export async function readChunks(
  file: string,
  onChunk: (chunk: Buffer) => void,
  options: { hash?: boolean } = {},
): Promise<{ bytes: number; sha256: string | null }> {
  const hash: Hash | null = options.hash ? createHash('sha256') : null;
  let bytes = 0;
  const stream = fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash?.update(chunk);
    bytes += chunk.length;
    onChunk(chunk);
  }
  return { bytes, sha256: hash ? hash.digest('hex') : null };
}

/**
 * Splits a stream of chunks into whole-line byte ranges. `push` each chunk, then `end()` to flush a last
 * line that has no newline. Lines never cross the buffers handed to the handler.
 * @example const s = createLineSplitter((b, s, e, n) => ...); s.push(chunk); s.end();
 */
export function createLineSplitter(
  onLines: (buf: Buffer, start: number, end: number, firstLineNo: number) => number,
): { push(chunk: Buffer): void; end(): void; readonly lines: number } {
  let carry: Buffer | null = null;
  let lineNo = 0;
  const push = (chunk: Buffer): void => {
    let from = 0;
    if (carry !== null) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        return;
      }
      const joined = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
      carry = null;
      lineNo += onLines(joined, 0, joined.length, lineNo + 1);
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last < from) {
      if (from < chunk.length) carry = Buffer.from(chunk.subarray(from));
      return;
    }
    lineNo += onLines(chunk, from, last + 1, lineNo + 1);
    if (last + 1 < chunk.length) carry = Buffer.from(chunk.subarray(last + 1));
  };
  const end = (): void => {
    if (carry === null || carry.length === 0) return;
    const joined = Buffer.concat([carry, Buffer.of(10)]);
    carry = null;
    lineNo += onLines(joined, 0, joined.length, lineNo + 1);
  };
  return {
    push,
    end,
    get lines() {
      return lineNo;
    },
  };
}

/**
 * Calls `onLine` for every line of a file (1-based line numbers), streaming.
 * @example await scanLines('u.item', (buf, s, e, n) => titles.push(buf.toString('latin1', s, e)));
 */
export async function scanLines(
  file: string,
  onLine: LineHandler,
  options: { hash?: boolean } = {},
): Promise<ScanResult> {
  const splitter = createLineSplitter((buf, start, end, firstLineNo) => {
    let lineNo = firstLineNo;
    let p = start;
    while (p < end) {
      const nl = buf.indexOf(10, p);
      let e = nl;
      if (e > p && buf[e - 1] === 13) e--;
      onLine(buf, p, e, lineNo);
      lineNo++;
      p = nl + 1;
    }
    return lineNo - firstLineNo;
  });
  const { bytes, sha256 } = await readChunks(file, (chunk) => splitter.push(chunk), options);
  splitter.end();
  return { lines: splitter.lines, bytes, sha256 };
}

/**
 * Decodes bytes as UTF-8, failing on invalid sequences (returns null) instead of inserting U+FFFD.
 * @example decodeUtf8Strict(Buffer.from([0xe9])) // null
 */
export function decodeUtf8Strict(bytes: Buffer): string | null {
  return isUtf8(bytes) ? bytes.toString('utf8') : null;
}
