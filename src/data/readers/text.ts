import type { TextEncoding } from '../catalog.js';
import type { BadLineSink } from './bad-lines.js';
import { decodeUtf8Strict, scanLines } from './lines.js';

/**
 * Small-file line reading shared by the movie, user and genre readers: each line is decoded on its own in the
 * file's encoding (latin-1 for ml-100k `u.item` and ml-1m `movies.dat`, UTF-8 for the CSV releases), blank
 * lines are skipped, and undecodable lines, or lines holding a C0 control byte (NUL, a lone CR, a TAB in
 * these `|`, `::` and `,` formats), go to the bad-line sink.
 */

const C0_NAMES = [
  'NUL',
  'SOH',
  'STX',
  'ETX',
  'EOT',
  'ENQ',
  'ACK',
  'BEL',
  'BS',
  'TAB',
  'LF',
  'VT',
  'FF',
  'CR',
  'SO',
  'SI',
  'DLE',
  'DC1',
  'DC2',
  'DC3',
  'DC4',
  'NAK',
  'SYN',
  'ETB',
  'CAN',
  'EM',
  'SUB',
  'ESC',
  'FS',
  'GS',
  'RS',
  'US',
];

/**
 * The offset of the first C0 control byte (0x00-0x1f) in `buf[start, end)`, or -1. In latin-1 and UTF-8 alike
 * such a byte is that control character (UTF-8 multi-byte sequences use bytes >= 0x80 only).
 * @example firstControlByte(Buffer.from('Toy\0Story'), 0, 9) // 3
 */
export function firstControlByte(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) if ((buf[i] as number) < 0x20) return i - start;
  return -1;
}

/**
 * How a control byte is named in messages.
 * @example describeControlByte(0) // '0x00 (NUL)'
 */
export function describeControlByte(byte: number): string {
  return `0x${byte.toString(16).padStart(2, '0')} (${C0_NAMES[byte] ?? '?'})`;
}

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
      const control = firstControlByte(buf, start, end);
      if (control >= 0) {
        const what = describeControlByte(buf[start + control] as number);
        sink.fault(file, lineNo, 'control character', `${what} at column ${control + 1}`);
        return;
      }
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
