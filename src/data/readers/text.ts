import type { TextEncoding } from '../catalog.js';
import type { BadLineSink } from './bad-lines.js';
import { decodeUtf8Strict, scanLines } from './lines.js';

/**
 * Small-file line reading shared by the movie, user and genre readers: each line is decoded on its own in the
 * file's encoding (latin-1 for ml-100k `u.item` and ml-1m `movies.dat`, UTF-8 for the CSV releases), blank
 * lines are skipped, and undecodable lines go to the bad-line sink.
 */

/** A decoded line and its 1-based number. */
export interface TextLine {
  text: string;
  line: number;
}

/**
 * Decodes `bytes` in an encoding; null when they are not valid UTF-8 and UTF-8 was required.
 * @example decodeText(Buffer.from([0x4d, 0x69, 0x73, 0xe9]), 'latin1') // 'Misé'
 */
export function decodeText(bytes: Buffer, encoding: TextEncoding): string | null {
  if (encoding === 'latin1') return bytes.toString('latin1');
  const utf8 = decodeUtf8Strict(bytes);
  if (utf8 !== null || encoding === 'utf8') return utf8;
  return bytes.toString('latin1');
}

/**
 * Calls `onLine` for each non-blank decoded line of a file, streaming; returns the file's sha256 when asked.
 * @example await forEachTextLine('u.item', 'latin1', sink, ({ text, line }) => ...);
 */
export async function forEachTextLine(
  file: string,
  encoding: TextEncoding,
  sink: BadLineSink,
  onLine: (line: TextLine) => void,
  options: { hash?: boolean } = {},
): Promise<{ sha256: string | null; lines: number }> {
  const { sha256, lines } = await scanLines(
    file,
    (buf, start, end, lineNo) => {
      if (start === end) return;
      const text = decodeText(buf.subarray(start, end), encoding);
      if (text === null) {
        sink.fault(file, lineNo, 'bad encoding', 'the line is not valid UTF-8');
        return;
      }
      onLine({ text, line: lineNo });
    },
    options,
  );
  return { sha256, lines };
}
