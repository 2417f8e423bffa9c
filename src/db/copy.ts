/**
 * Encodes columns in PostgreSQL's binary COPY format (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Binary Format"): the server stores the values without parsing text, which is what lets a seed keep pace
 * with `psql \copy` of a CSV file.
 */

/** A column to copy. `null` values (or a null array) become SQL NULL. */
export type CopyColumn =
  | { type: 'int4'; values: Int32Array | readonly (number | null)[] }
  | { type: 'float4'; values: Float32Array | readonly (number | null)[] | null }
  | {
      type: 'timestamptz';
      /** seconds since the epoch */ seconds: Float64Array | readonly (number | null)[] | null;
    }
  | { type: 'text'; values: readonly (string | null)[] };

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // "PGCOPY\n\377\r\n\0"
const HEADER_BYTES = SIGNATURE.length + 8;
// PostgreSQL timestamps count microseconds from 2000-01-01 00:00:00 UTC.
const PG_EPOCH_SECONDS = 946_684_800;
const TWO_POW_32 = 4_294_967_296;

/** A byte buffer that grows by doubling; `view` is re-made after each growth. */
class ByteWriter {
  bytes: Uint8Array;
  view: DataView;
  length = 0;
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }
  reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
  take(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

const textEncoder = new TextEncoder();

/**
 * Yields one complete binary COPY payload (header, rows `start..end`, trailer) in chunks of about
 * `rowsPerChunk` rows, so a large table streams without one huge buffer.
 * @example for (const chunk of encodeCopyBinary([{ type: 'int4', values: ids }], 0, ids.length)) stream.write(chunk);
 */
export function* encodeCopyBinary(
  columns: readonly CopyColumn[],
  start: number,
  end: number,
  rowsPerChunk = 65_536,
): Generator<Uint8Array> {
  const fields = columns.length;
  let first = true;
  for (let from = start; from < end || first; from += rowsPerChunk) {
    const to = Math.min(end, from + rowsPerChunk);
    const out = new ByteWriter(Math.max(64, (to - from) * (2 + fields * 12) + HEADER_BYTES + 2));
    if (first) {
      out.bytes.set(SIGNATURE, 0);
      out.view.setInt32(SIGNATURE.length, 0); // flags: no OIDs
      out.view.setInt32(SIGNATURE.length + 4, 0); // header extension length
      out.length = HEADER_BYTES;
      first = false;
    }
    for (let row = from; row < to; row++) {
      out.reserve(2 + fields * 12);
      out.view.setInt16(out.length, fields);
      out.length += 2;
      for (const column of columns) writeField(out, column, row);
    }
    if (to >= end) {
      out.reserve(2);
      out.view.setInt16(out.length, -1); // trailer
      out.length += 2;
    }
    yield out.take();
  }
}

function writeNull(out: ByteWriter): void {
  out.view.setInt32(out.length, -1);
  out.length += 4;
}

function writeField(out: ByteWriter, column: CopyColumn, row: number): void {
  switch (column.type) {
    case 'int4': {
      const value = column.values[row];
      if (value === null || value === undefined) return writeNull(out);
      out.view.setInt32(out.length, 4);
      out.view.setInt32(out.length + 4, value);
      out.length += 8;
      return;
    }
    case 'float4': {
      const value = column.values?.[row];
      if (value === null || value === undefined) return writeNull(out);
      out.view.setInt32(out.length, 4);
      out.view.setFloat32(out.length + 4, value);
      out.length += 8;
      return;
    }
    case 'timestamptz': {
      const seconds = column.seconds?.[row];
      if (seconds === null || seconds === undefined) return writeNull(out);
      // int64 microseconds, written as two 32-bit halves: exact below 2^53 without BigInt per row.
      const micros = Math.round((seconds - PG_EPOCH_SECONDS) * 1_000_000);
      const high = Math.floor(micros / TWO_POW_32);
      out.view.setInt32(out.length, 8);
      out.view.setInt32(out.length + 4, high);
      out.view.setUint32(out.length + 8, micros - high * TWO_POW_32);
      out.length += 12;
      return;
    }
    case 'text': {
      const value = column.values[row];
      if (value === null || value === undefined) return writeNull(out);
      const bytes = textEncoder.encode(value);
      out.reserve(4 + bytes.length);
      out.view.setInt32(out.length, bytes.length);
      out.bytes.set(bytes, out.length + 4);
      out.length += 4 + bytes.length;
      return;
    }
  }
}
