/**
 * In-memory interactions: the contract between the data layer (raw MovieLens ids, columnar tables) and the
 * models (dense indices, sparse matrices).
 */

/** Maps raw ids to dense indices 0..size-1 and back. */
export interface IdEncoder {
  readonly size: number;
  /** rawIds[dense] = raw id. */
  readonly rawIds: Int32Array;
  /** Dense index of a raw id, or -1 when the id is unknown. */
  toDense(raw: number): number;
  /** Raw id of a dense index; throws RangeError outside 0..size-1. */
  toRaw(dense: number): number;
}

/**
 * Compressed sparse rows: row r's entries are `indices[indptr[r] .. indptr[r+1])` with `values` alongside.
 * Column indices are sorted ascending within each row. A CSC matrix is the CSR of the transpose.
 */
export interface CsrMatrix {
  readonly nRows: number;
  readonly nCols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;
}

/**
 * A set of (user, item[, rating][, timestamp]) events in coordinate form with dense indices. Every split
 * of one dataset shares the dataset's encoders, so dense indices mean the same thing in train and test.
 */
export interface Interactions {
  readonly users: IdEncoder;
  readonly items: IdEncoder;
  readonly user: Int32Array;
  readonly item: Int32Array;
  /** Explicit ratings, or null for implicit-only data (e.g. the ml-1m interactions file). */
  readonly rating: Float32Array | null;
  /** Seconds since the epoch, or null when the source has no timestamps. */
  readonly timestamp: Float64Array | null;
}

/**
 * What a model trains on: the user x item matrix whose values are what the model consumes (confidence for
 * implicit models, ratings for explicit ALS) and the dataset's encoders. The models consume it (src/models/types.ts re-exports it).
 */
export interface TrainingMatrix {
  readonly userItems: CsrMatrix;
  readonly users: IdEncoder;
  readonly items: IdEncoder;
}
