import { beforeAll, expect, it } from 'vitest';
import { encodeCopyBinary, type CopyColumn } from '../../src/db/copy.js';
import { describeEachEngine } from './support.js';

describeEachEngine('binary COPY', (engine) => {
  beforeAll(async () => {
    await engine
      .db()
      .exec(
        `CREATE SCHEMA IF NOT EXISTS "${engine.db().schema}"; CREATE TABLE copy_probe (i INTEGER, f REAL, t TIMESTAMPTZ(3), s TEXT)`,
      );
  });

  it('stores every value as written: nulls, negatives, pre-2000 and fractional times, UTF-8 text', async () => {
    const db = engine.db();
    const times = [0, 874724710, 946684800, 946684799.5, 1537799250.123, -86400, null];
    const n = times.length;
    const ints = [1, -2, 2147483647, -2147483648, 0, 42, null];
    const texts = [
      'Misérables, Les (1995)',
      '',
      'a"b\\c\td\ne',
      'Kådisbellan',
      '日本',
      'x'.repeat(5000),
      null,
    ];
    const columns: CopyColumn[] = [
      { type: 'int4', values: ints },
      { type: 'float4', values: [0.5, 5, -1.25, 3.5, 0, 4, null] },
      { type: 'timestamptz', seconds: times },
      { type: 'text', values: texts },
    ];
    const copied = await db.transaction((tx) =>
      // Two-row chunks exercise the chunk boundaries (header only in the first, trailer only in the last).
      tx.copyBinary('copy_probe', ['i', 'f', 't', 's'], encodeCopyBinary(columns, 0, n, 2)),
    );
    expect(copied).toBe(n);
    const rows = await db.query<{ i: number | null; f: number | null; ms: string | null; s: string | null }>(
      `SELECT i, f, (extract(epoch FROM t) * 1000)::bigint::text AS ms, s FROM copy_probe ORDER BY ctid`,
    );
    expect(rows.map((r) => r.i)).toEqual(ints);
    expect(rows.map((r) => r.f)).toEqual([0.5, 5, -1.25, 3.5, 0, 4, null]);
    expect(rows.map((r) => (r.ms === null ? null : Number(r.ms) / 1000))).toEqual([
      0,
      874724710,
      946684800,
      946684799.5,
      1537799250.123,
      -86400,
      null,
    ]);
    expect(rows.map((r) => r.s)).toEqual(texts);
  });

  it('copies a row range, and an empty range as a valid empty payload', async () => {
    const db = engine.db();
    await db.exec('TRUNCATE copy_probe');
    const ids = Int32Array.from({ length: 100 }, (_, i) => i + 1);
    const columns: CopyColumn[] = [{ type: 'int4', values: ids }];
    await db.transaction(async (tx) => {
      expect(await tx.copyBinary('copy_probe', ['i'], encodeCopyBinary(columns, 10, 30, 7))).toBe(20);
      expect(await tx.copyBinary('copy_probe', ['i'], encodeCopyBinary(columns, 50, 50))).toBe(0);
    });
    const [row] = await db.query<{ n: number; lo: number; hi: number }>(
      'SELECT count(*)::int AS n, min(i) AS lo, max(i) AS hi FROM copy_probe',
    );
    expect(row).toEqual({ n: 20, lo: 11, hi: 30 });
  });

  it('rolls the copy back with its transaction', async () => {
    const db = engine.db();
    await db.exec('TRUNCATE copy_probe');
    const columns: CopyColumn[] = [{ type: 'int4', values: [1, 2, 3] }];
    await expect(
      db.transaction(async (tx) => {
        await tx.copyBinary('copy_probe', ['i'], encodeCopyBinary(columns, 0, 3));
        throw new Error('stop');
      }),
    ).rejects.toThrow('stop');
    expect(await db.query('SELECT * FROM copy_probe')).toEqual([]);
  });
});
