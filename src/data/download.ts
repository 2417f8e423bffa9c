import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DownloadError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/log.js';
import type { ProgressListener } from '../core/progress.js';
import type { DatasetName } from '../core/types.js';
import { archiveUrl, CATALOG } from './catalog.js';
import { digestFile, downloadFile, type ExpectedDigests, fetchPublishedMd5 } from './http-download.js';
import { writeFileAtomic } from './parquet.js';
import { extractZip } from './zip.js';

/**
 * Fetches a MovieLens release into `<dataDir>/raw/<name>`: download the zip (resumable, verified), extract it
 * into a temp folder beside the target, write a completion marker inside it, then rename the folder into
 * place. The target therefore either does not exist or is complete; a crash at any point leaves at most a
 * temp folder or a `.part` file that the next run cleans up or resumes.
 */

export const COMPLETE_MARKER = '.recsys-complete.json';

export interface DownloadDatasetOptions {
  dataDir: string;
  /** Serve archives from another base URL (a mirror, or a test server) instead of GroupLens. */
  baseUrl?: string;
  /** Download and extract again even when the dataset is already complete. */
  force?: boolean;
  /** Digests to verify instead of the catalog's (null: verify nothing). */
  expected?: ExpectedDigests | null;
  /** Keep the zip in `<dataDir>/downloads` after extraction (default: delete it). */
  keepArchive?: boolean;
  retries?: number;
  backoffMs?: number;
  onProgress?: ProgressListener;
  logger?: Logger;
  signal?: AbortSignal;
}

/** Where a release is extracted under a data dir. */
export function rawDatasetDir(dataDir: string, name: DatasetName): string {
  return path.join(dataDir, 'raw', name);
}

/**
 * Whether a folder holds a complete download (its completion marker is present).
 * @example await isDownloadComplete('data/raw/ml-100k')
 */
export async function isDownloadComplete(dir: string): Promise<boolean> {
  return fs.stat(path.join(dir, COMPLETE_MARKER)).then(
    () => true,
    () => false,
  );
}

async function removeDir(dir: string): Promise<void> {
  // Rename first so a half-deleted folder is never seen under its real name.
  const doomed = `${dir}.deleting-${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(dir, doomed);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await fs.rm(doomed, { recursive: true, force: true });
}

/**
 * Downloads and extracts a release unless it is already complete; returns its folder.
 * @example const dir = await downloadDataset('ml-100k', { dataDir: 'data', onProgress: createProgressRenderer() });
 */
export async function downloadDataset(name: DatasetName, options: DownloadDatasetOptions): Promise<string> {
  const logger = options.logger ?? silentLogger;
  const entry = CATALOG[name];
  const target = rawDatasetDir(options.dataDir, name);
  if (!options.force && (await isDownloadComplete(target))) {
    logger.debug(`${name}: already downloaded`, { dir: target });
    return target;
  }
  const url = archiveUrl(entry, options.baseUrl);
  const zipPath = path.join(options.dataDir, 'downloads', `${name}.zip`);
  try {
    const expected = await expectedDigests(url, entry.md5, options, logger);
    if (options.force) await fs.rm(zipPath, { force: true });
    if (!(await archiveMatches(zipPath, expected))) {
      logger.info(`${name}: downloading`, { url, size: entry.sizeNote });
      await downloadFile(url, zipPath, {
        expected,
        phase: `download ${name}`,
        ...(options.retries !== undefined ? { retries: options.retries } : {}),
        ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        logger,
      });
    }
  } catch (error) {
    if (error instanceof DownloadError) error.message += `. ${offlineHint(name)}`;
    throw error;
  }

  const temp = path.join(options.dataDir, 'raw', `.${name}.extract-${randomBytes(4).toString('hex')}`);
  try {
    await extractZip(zipPath, temp);
    const root = await datasetRoot(temp, entry.folder);
    await writeFileAtomic(
      path.join(root, COMPLETE_MARKER),
      `${JSON.stringify({ dataset: name, url, ...(await digestFile(zipPath)), completedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    await removeDir(target);
    await fs.rename(root, target);
  } catch (error) {
    // A corrupt archive must not be reused by the next run.
    if (!(error instanceof Error && 'code' in error && error.code === 'ENOSPC'))
      await fs.rm(zipPath, { force: true });
    throw error;
  } finally {
    await fs.rm(temp, { recursive: true, force: true });
  }
  if (!options.keepArchive) await fs.rm(zipPath, { force: true });
  logger.info(`${name}: ready`, { dir: target });
  return target;
}

/**
 * What a failed download adds to its message: how to run from files copied by hand (no internet here).
 * @example offlineHint('ml-1m') // 'To run without internet, get ml-1m.zip elsewhere, extract it here and ...'
 */
export function offlineHint(name: DatasetName): string {
  return (
    `To run without internet, get ${name}.zip elsewhere, extract it on this machine and point at the folder: ` +
    `MOVIELENS_DIR=/path/to/${CATALOG[name].folder} RECSYS_DATASET=${name} npm start ` +
    `(or --from /path/to/${CATALOG[name].folder} on recsys commands)`
  );
}

async function expectedDigests(
  url: string,
  catalogMd5: string | null,
  options: DownloadDatasetOptions,
  logger: Logger,
): Promise<ExpectedDigests> {
  if (options.expected !== undefined) return options.expected ?? {};
  if (catalogMd5) return { md5: catalogMd5 };
  const published = await fetchPublishedMd5(url, options.signal);
  if (published) return { md5: published };
  logger.warn('no published checksum for this archive: it will not be verified', { url });
  return {};
}

async function archiveMatches(zipPath: string, expected: ExpectedDigests): Promise<boolean> {
  const exists = await fs.stat(zipPath).then(
    () => true,
    () => false,
  );
  if (!exists || (!expected.md5 && !expected.sha256)) return false;
  const actual = await digestFile(zipPath);
  return (
    (!expected.md5 || expected.md5 === actual.md5) && (!expected.sha256 || expected.sha256 === actual.sha256)
  );
}

/** The extracted release's folder: the catalog's folder name, else a single top folder, else the temp root. */
async function datasetRoot(temp: string, folder: string): Promise<string> {
  const entries = await fs.readdir(temp, { withFileTypes: true });
  if (entries.some((e) => e.isDirectory() && e.name === folder)) return path.join(temp, folder);
  const dirs = entries.filter((e) => e.isDirectory());
  if (dirs.length === 1 && entries.length === 1) return path.join(temp, (dirs[0] as { name: string }).name);
  return temp;
}
