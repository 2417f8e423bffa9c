/**
 * Helpers for writing sparse matrices into a `ModelState` and reading them back with checks, shared by the
 * models that keep CSR data (item-kNN's pruned similarity, every model's training user x item matrix).
 */
import { ArtifactIntegrityError } from '../core/errors.js';
import type { ModelKind } from '../core/types.js';
import type { CsrMatrix } from '../dataset/types.js';
import type { ModelState } from './types.js';

type StateArrays = ModelState['arrays'];

/**
 * The three arrays of a CSR matrix as state entries named `<prefix>Indptr`, `<prefix>Indices`,
 * `<prefix>Values`.
 * @example const arrays = { ...csrToState('userItems', userItems) };
 */
export function csrToState(prefix: string, m: CsrMatrix): StateArrays {
  return {
    [`${prefix}Indptr`]: { data: m.indptr, shape: [m.indptr.length] },
    [`${prefix}Indices`]: { data: m.indices, shape: [m.indices.length] },
    [`${prefix}Values`]: { data: m.values, shape: [m.values.length] },
  };
}

/**
 * Reads back a CSR matrix written by `csrToState`, checking its shape against `nRows` x `nCols`, that
 * indptr is non-decreasing and that every column index lies in range (a corrupted or mismatched state is
 * refused with ArtifactIntegrityError rather than producing wrong recommendations).
 * @example const userItems = csrFromState(state, 'userItems', users.size, items.size);
 */
export function csrFromState(state: ModelState, prefix: string, nRows: number, nCols: number): CsrMatrix {
  const where = `${state.kind} state`;
  const indptr = arrayOf(state, `${prefix}Indptr`, 'int32');
  const indices = arrayOf(state, `${prefix}Indices`, 'int32');
  const values = arrayOf(state, `${prefix}Values`, 'float32');
  if (indptr.length !== nRows + 1) {
    throw new ArtifactIntegrityError(
      where,
      `${prefix}Indptr has ${indptr.length} entries, expected ${nRows + 1}`,
    );
  }
  const nnz = indptr[nRows] as number;
  if (indptr[0] !== 0 || indices.length !== nnz || values.length !== nnz) {
    throw new ArtifactIntegrityError(where, `${prefix} arrays disagree on the number of entries`);
  }
  for (let r = 0; r < nRows; r++) {
    if ((indptr[r + 1] as number) < (indptr[r] as number)) {
      throw new ArtifactIntegrityError(where, `${prefix}Indptr decreases at row ${r}`);
    }
  }
  for (let p = 0; p < nnz; p++) {
    const c = indices[p] as number;
    if (!(c >= 0 && c < nCols)) {
      throw new ArtifactIntegrityError(where, `${prefix}Indices[${p}] = ${c} is outside 0..${nCols - 1}`);
    }
  }
  return { nRows, nCols, indptr, indices, values };
}

/**
 * One named array of a state, of the expected element type.
 * @example const counts = arrayOf(state, 'counts', 'float32');
 */
export function arrayOf(state: ModelState, name: string, type: 'int32'): Int32Array;
export function arrayOf(state: ModelState, name: string, type: 'float32'): Float32Array;
export function arrayOf(
  state: ModelState,
  name: string,
  type: 'int32' | 'float32',
): Int32Array | Float32Array {
  const entry = state.arrays[name];
  if (!entry) throw new ArtifactIntegrityError(`${state.kind} state`, `array ${name} is missing`);
  const ok = type === 'int32' ? entry.data instanceof Int32Array : entry.data instanceof Float32Array;
  if (!ok) throw new ArtifactIntegrityError(`${state.kind} state`, `array ${name} is not ${type}`);
  return entry.data;
}

/**
 * Refuses a state of another model kind or format version.
 * @example checkStateHeader(state, 'itemknn', 1);
 */
export function checkStateHeader(state: ModelState, kind: ModelKind, formatVersion: number): void {
  if (state.kind !== kind) {
    throw new ArtifactIntegrityError(`${kind} state`, `it holds a ${state.kind} model`);
  }
  if (state.formatVersion !== formatVersion) {
    throw new ArtifactIntegrityError(
      `${kind} state`,
      `format version ${state.formatVersion} is not the supported ${formatVersion}`,
    );
  }
}
