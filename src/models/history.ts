/**
 * Histories passed in by callers (new users, fold-in, the web page's picks) as one CSR matrix, checked once:
 * every model that scores histories in a batch builds its input here.
 */
import { buildCsr } from '../dataset/csr.js';
import type { CsrMatrix } from '../dataset/types.js';
import { checkIndices } from './ranking.js';
import type { UserHistory } from './types.js';

/**
 * Histories as rows of a CSR matrix (values 1 where a history has none); an item outside 0..nItems-1 or a
 * values array of another length is a RangeError naming the history.
 * @example const matrix = historyMatrix([{ items: Int32Array.of(3, 7) }], model.items.size);
 */
export function historyMatrix(histories: readonly UserHistory[], nItems: number): CsrMatrix {
  let nnz = 0;
  histories.forEach((history, q) => {
    checkIndices(history.items, nItems, 'item');
    if (history.values && history.values.length !== history.items.length) {
      throw new RangeError(
        `history ${q} has ${history.values.length} values for ${history.items.length} items`,
      );
    }
    nnz += history.items.length;
  });
  const rows = new Int32Array(nnz);
  const cols = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  let p = 0;
  histories.forEach((history, q) => {
    for (let j = 0; j < history.items.length; j++, p++) {
      rows[p] = q;
      cols[p] = history.items[j] as number;
      values[p] = history.values ? (history.values[j] as number) : 1;
    }
  });
  return buildCsr(histories.length, nItems, rows, cols, values);
}
