import { describe, expect, it } from 'vitest';
import { buildCsr, transposeCsr } from '../../src/dataset/csr.js';
import { createIdEncoder, encodeAll } from '../../src/dataset/encoder.js';

describe('createIdEncoder', () => {
  it('numbers distinct ids in ascending order and maps both ways', () => {
    const enc = createIdEncoder([30, 10, 20, 10, 30]);
    expect(enc.size).toBe(3);
    expect(Array.from(enc.rawIds)).toEqual([10, 20, 30]);
    expect(enc.toDense(20)).toBe(1);
    expect(enc.toDense(25)).toBe(-1);
    expect(enc.toDense(1e9)).toBe(-1);
    expect(enc.toRaw(2)).toBe(30);
    expect(() => enc.toRaw(3)).toThrow(RangeError);
    expect(Array.from(encodeAll(enc, [30, 5, 10]))).toEqual([2, -1, 0]);
  });

  it('falls back to a map for sparse id spaces', () => {
    const enc = createIdEncoder([1, 2_000_000_000]);
    expect(enc.toDense(2_000_000_000)).toBe(1);
    expect(enc.toDense(3)).toBe(-1);
  });
});

describe('buildCsr', () => {
  it('groups by row with columns sorted and values alongside', () => {
    const rows = Int32Array.from([1, 0, 1, 2, 0]);
    const cols = Int32Array.from([3, 2, 0, 1, 0]);
    const vals = Float32Array.from([1, 2, 3, 4, 5]);
    const m = buildCsr(3, 4, rows, cols, vals);
    expect(Array.from(m.indptr)).toEqual([0, 2, 4, 5]);
    expect(Array.from(m.indices)).toEqual([0, 2, 0, 3, 1]);
    expect(Array.from(m.values)).toEqual([5, 2, 3, 1, 4]);
    const t = transposeCsr(m);
    expect(Array.from(t.indptr)).toEqual([0, 2, 3, 4, 5]);
    expect(Array.from(t.indices)).toEqual([0, 1, 2, 0, 1]);
    expect(Array.from(t.values)).toEqual([5, 3, 4, 2, 1]);
  });

  it('rejects indices outside the shape', () => {
    expect(() => buildCsr(1, 1, Int32Array.from([1]), Int32Array.from([0]))).toThrow(RangeError);
    expect(() => buildCsr(1, 1, Int32Array.from([0]), Int32Array.from([-1]))).toThrow(RangeError);
  });
});
