import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

/** ../shared/movielens, beside the repository (CI clones it there). */
export const SHARED = path.resolve(process.cwd(), '..', 'shared', 'movielens');

/**
 * A fresh temp folder per call, removed after the test.
 * @example const dir = await useTempDir();
 */
export function tempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-data-'));
    made.push(dir);
    return dir;
  };
}

/** Copies the named files of a ../shared release into `dir`. */
export async function copyShared(release: string, files: string[], dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const f of files) await fs.copyFile(path.join(SHARED, release, f), path.join(dir, f));
}

/** Every file of a folder with its bytes, for "nothing changed" assertions. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.isFile()) out[e.name] = (await fs.readFile(path.join(dir, e.name))).toString('base64');
  }
  return out;
}
