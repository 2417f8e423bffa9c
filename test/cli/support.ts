import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The shared MovieLens folder (CI clones the repo with ../shared beside it). */
export const ML100K_DIR = path.resolve(process.cwd(), '..', 'shared', 'movielens', 'ml-100k');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node bin/recsys.js <args>` as a child process with `env` added to the environment (temp data and
 * artifact folders), and returns its exit code and output.
 */
export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.resolve('bin', 'recsys.js'), ...args],
      { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** ml-100k's u.item titles by movie id, read straight from the file (latin-1, `|`-separated). */
export function readTitles(): Map<number, string> {
  const titles = new Map<number, string>();
  for (const line of fs.readFileSync(path.join(ML100K_DIR, 'u.item'), 'latin1').split('\n')) {
    const [id, title] = line.split('|');
    if (id && title !== undefined) titles.set(Number(id), title);
  }
  return titles;
}

/** Each ml-100k user's rated movies, read straight from u.data. */
export function readRated(): Map<number, Set<number>> {
  const rated = new Map<number, Set<number>>();
  for (const line of fs.readFileSync(path.join(ML100K_DIR, 'u.data'), 'latin1').split('\n')) {
    if (line === '') continue;
    const [user, item] = line.split('\t').map(Number) as [number, number];
    if (!rated.has(user)) rated.set(user, new Set());
    rated.get(user)!.add(item);
  }
  return rated;
}
