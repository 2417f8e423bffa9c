/**
 * Where artifacts live: a small byte store addressed by relative keys (`als/20261125T101500123Z-1a2b3c4d/
 * model.json`). The local filesystem (local.ts) and Google Cloud Storage (`gs://bucket/prefix`, gcs.ts) implement
 * it, so nothing above this layer knows which one it has.
 */

/**
 * A directory being written that readers cannot see until `publish()`. Locally it is a hidden sibling folder
 * renamed into place; on GCS the objects are uploaded under the final prefix and the version only counts as
 * complete once its last file (the artifact's `manifest.json`) exists, and the pointer is written after that.
 */
export interface StagedDirectory {
  /** The key prefix the files will appear under once published. */
  readonly prefix: string;
  /** Writes one file of the directory (`name` relative to the prefix; may contain `/`). */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** Makes every written file visible at once; throws AppError CONFLICT when the prefix already exists. */
  publish(): Promise<void>;
  /** Discards everything written so far (safe to call after a failed write or publish). */
  abort(): Promise<void>;
}

/** What a store knows about one stored file (`stat`). */
export interface StoredFileInfo {
  size: number;
  /** The MD5 of the bytes, base64 (as GCS reports it), or null where the store keeps none (local disk). */
  md5: string | null;
  /** Changes with every write of the key (the GCS generation; locally mtime and size). */
  version: string;
  /** When the file was last written. */
  updated: Date;
}

/**
 * A byte store keyed by relative POSIX paths (no `..`, no leading `/`, no empty segments). Single writes are
 * atomic: a reader sees the old bytes or the new ones, never a mix.
 */
export interface ArtifactStore {
  /** Where the store lives, e.g. `/srv/recsys/artifacts` or `gs://bucket/prefix`. */
  readonly uri: string;
  /** The bytes at `key`; throws NotFoundError when there is none. */
  read(key: string): Promise<Uint8Array>;
  /** Writes `bytes` at `key` atomically, creating parent folders. */
  write(key: string, bytes: Uint8Array): Promise<void>;
  exists(key: string): Promise<boolean>;
  /**
   * Names directly under `prefix` ('' for the root), files and folders alike, sorted; staging areas and
   * other hidden names (leading `.`) are never listed. An absent prefix lists as empty.
   */
  list(prefix: string): Promise<string[]>;
  /** Removes the file at `key`, or everything under it when it is a folder; absent keys are fine. */
  delete(key: string): Promise<void>;
  /** Starts writing a directory that appears at `prefix` only when published. */
  stage(prefix: string): Promise<StagedDirectory>;
  /** The small text at a pointer key (trimmed), or null when the pointer does not exist. */
  readPointer(key: string): Promise<string | null>;
  /** Replaces a pointer atomically (readers see the old value or the new one). */
  writePointer(key: string, value: string): Promise<void>;
  /**
   * Removes the staging areas directly under `prefix` that processes killed mid-save left behind (never one
   * whose process still runs) and returns their names. The local store has it (its `stage` and listArtifacts
   * call it); GCS stages nothing aside (a killed upload leaves objects without manifest.json, which
   * listArtifacts skips) and does not.
   */
  removeStaleStaging?(prefix: string): Promise<string[]>;
  /** Size, MD5, version and time of the file at `key`, or null when there is no file there (absent or a folder). */
  stat(key: string): Promise<StoredFileInfo | null>;
  /**
   * The absolute filesystem path of `key` for stores on local disk (so a server can `fs.watch` a pointer's
   * folder), or null for remote stores.
   */
  localPath(key: string): string | null;
}
