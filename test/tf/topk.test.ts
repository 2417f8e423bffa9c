import { expect, it } from 'vitest';
import { createRng } from '../../src/core/rng.js';
import { topKRow } from '../../src/core/types.js';
import { buildCsr } from '../../src/dataset/csr.js';
import type { CsrMatrix } from '../../src/dataset/types.js';
import { scoreTopK, topKExcluding } from '../../src/tf/topk.js';
import { tf, type Tensor2D } from '../../src/tf/tf.js';
import { describeEachBackend, tensorsLeakedBy } from '../support/backends.js';

/** A random sparse matrix: each row holds about `density` of the columns. */
function randomCsr(seed: number, nRows: number, nCols: number, density: number): CsrMatrix {
  const rng = createRng(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  for (let r = 0; r < nRows; r++) {
    for (let c = 0; c < nCols; c++) {
      if (rng.next() < density) {
        rows.push(r);
        cols.push(c);
      }
    }
  }
  return buildCsr(nRows, nCols, Int32Array.from(rows), Int32Array.from(cols));
}

/** Plain reference: sort every allowed column of a row by score (ties by lower id) and keep k. */
function referenceTopK(scores: Float32Array, nCols: number, row: number, k: number, banned: Set<number>) {
  const candidates: { id: number; score: number }[] = [];
  for (let c = 0; c < nCols; c++) {
    if (!banned.has(c)) candidates.push({ id: c, score: scores[row * nCols + c] as number });
  }
  candidates.sort((a, b) => b.score - a.score || a.id - b.id);
  return candidates.slice(0, k);
}

function bannedOf(csr: CsrMatrix, row: number): Set<number> {
  return new Set(csr.indices.subarray(csr.indptr[row], csr.indptr[row + 1]));
}

describeEachBackend('topKExcluding', () => {
  it('returns the k best allowed columns per row, best first, as a plain sort does', async () => {
    const rng = createRng(3);
    const nRows = 37;
    const nCols = 150;
    const values = Float32Array.from({ length: nRows * nCols }, () => rng.normal());
    const seen = randomCsr(4, 50, nCols, 0.3);
    const rows = Int32Array.from({ length: nRows }, (_, q) => (q * 7) % 50);
    const scores = tf.tensor2d(values, [nRows, nCols]);
    const top = await topKExcluding(scores, 10, { csr: seen, rows });
    scores.dispose();
    for (let q = 0; q < nRows; q++) {
      const expected = referenceTopK(values, nCols, q, 10, bannedOf(seen, rows[q] as number));
      const got = topKRow(top, q);
      expect(got.ids).toEqual(expected.map((e) => e.id));
      expect(got.scores).toEqual(expected.map((e) => e.score));
    }
  });

  it('pads rows that have fewer than k candidates with -1 / -Infinity', async () => {
    const scores = tf.tensor2d([
      [1, 2, 3, 4],
      [4, 3, 2, 1],
    ]);
    // Row 0 excludes three of four columns; row 1 excludes nothing; k larger than the catalogue.
    const exclude = buildCsr(2, 4, Int32Array.of(0, 0, 0), Int32Array.of(0, 1, 3));
    const top = await topKExcluding(scores, 6, { csr: exclude });
    scores.dispose();
    expect(Array.from(top.ids)).toEqual([2, -1, -1, -1, -1, -1, 0, 1, 2, 3, -1, -1]);
    expect(top.scores[0]).toBe(3);
    expect(top.scores[1]).toBe(-Infinity);
    expect(top.scores[10]).toBe(-Infinity);
  });

  it('combines several exclusions and leaks no tensor', async () => {
    const scores = tf.tensor2d([[5, 4, 3, 2, 1]]);
    const a = buildCsr(1, 5, Int32Array.of(0), Int32Array.of(0));
    const b = buildCsr(3, 5, Int32Array.of(2), Int32Array.of(1));
    let top = await topKExcluding(scores, 2, null);
    const leaked = await tensorsLeakedBy(async () => {
      top = await topKExcluding(scores, 2, [{ csr: a }, { csr: b, rows: Int32Array.of(2) }]);
    });
    scores.dispose();
    expect(leaked).toBe(0);
    expect(Array.from(top.ids)).toEqual([2, 3]);
  });

  // Pins a bug: the CPU backend's tensorScatterUpdate (tfjs 4.22) writes into its input, so masking changed
  // the caller's scores (and the typed array they were made from).
  it("leaves the caller's scores and their typed array unchanged", async () => {
    const values = Float32Array.of(5, 4, 3, 2, 1);
    const scores = tf.tensor2d(values, [1, 5]);
    await topKExcluding(scores, 2, { csr: buildCsr(1, 5, Int32Array.of(0, 0), Int32Array.of(0, 3)) });
    expect(Array.from(await scores.data())).toEqual([5, 4, 3, 2, 1]);
    scores.dispose();
    expect(Array.from(values)).toEqual([5, 4, 3, 2, 1]);
  });
});

describeEachBackend('scoreTopK', () => {
  it('equals scoring the full matrix at once, whatever the block size, without leaking', async () => {
    const rng = createRng(11);
    const nQueries = 45;
    const nItems = 80;
    const f = 8;
    const q = Float32Array.from({ length: nQueries * f }, () => rng.normal());
    const items = Float32Array.from({ length: nItems * f }, () => rng.normal());
    const seen = randomCsr(12, nQueries, nItems, 0.2);
    const queries = tf.tensor2d(q, [nQueries, f]);
    const itemsT = tf.tidy(() => tf.transpose(tf.tensor2d(items, [nItems, f]))) as Tensor2D;
    const full = tf.matMul<Tensor2D>(queries, itemsT);
    const expected = await topKExcluding(full, 7, { csr: seen });
    full.dispose();
    for (const blockRows of [1, 8, 100]) {
      let got = expected;
      const leaked = await tensorsLeakedBy(async () => {
        got = await scoreTopK(queries, itemsT, { k: 7, exclude: { csr: seen }, blockRows });
      });
      expect(leaked).toBe(0);
      expect(got.ids).toEqual(expected.ids);
      expect(got.scores).toEqual(expected.scores);
    }
    for (let u = 0; u < nQueries; u++) {
      for (const id of topKRow(expected, u).ids) expect(bannedOf(seen, u).has(id)).toBe(false);
    }
    queries.dispose();
    itemsT.dispose();
  });
});
