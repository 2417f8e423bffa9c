import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { DataFormatError } from '../core/errors.js';

/**
 * Extracts a zip archive (yauzl: streaming, validates entry sizes and CRCs) into a folder. Entry names that
 * would escape the folder (absolute, or with `..`) are refused.
 */

/**
 * Extracts every entry of `zipFile` under `destDir` (created if needed); returns the extracted file paths.
 * @example await extractZip('downloads/ml-100k.zip', 'raw/.ml-100k.tmp');
 */
export async function extractZip(zipFile: string, destDir: string): Promise<string[]> {
  await fsp.mkdir(destDir, { recursive: true });
  const root = path.resolve(destDir);
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.open(zipFile, { lazyEntries: true, autoClose: true }, (error, opened) => {
      if (error || !opened)
        reject(new DataFormatError(zipFile, 0, `not a readable zip archive: ${error?.message}`));
      else resolve(opened);
    });
  });
  const written: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (error: Error) =>
        reject(new DataFormatError(zipFile, 0, `corrupt zip archive: ${error.message}`)),
      );
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        handleEntry(zip, entry, root, zipFile, written).then(
          () => zip.readEntry(),
          (error: unknown) => {
            zip.close();
            reject(error);
          },
        );
      });
      zip.readEntry();
    });
  } finally {
    if (zip.isOpen) zip.close();
  }
  return written;
}

async function handleEntry(
  zip: yauzl.ZipFile,
  entry: yauzl.Entry,
  root: string,
  zipFile: string,
  written: string[],
): Promise<void> {
  const target = path.resolve(root, entry.fileName);
  if (entry.fileName.startsWith('/') || (target !== root && !target.startsWith(root + path.sep))) {
    throw new DataFormatError(
      zipFile,
      0,
      `entry '${entry.fileName}' would be written outside the target folder`,
    );
  }
  if (entry.fileName.endsWith('/')) {
    await fsp.mkdir(target, { recursive: true });
    return;
  }
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
    zip.openReadStream(entry, (error, s) => (error || !s ? reject(error) : resolve(s)));
  });
  try {
    await pipeline(stream, fs.createWriteStream(target));
  } catch (error) {
    throw new DataFormatError(zipFile, 0, `cannot extract '${entry.fileName}': ${(error as Error).message}`);
  }
  written.push(target);
}
