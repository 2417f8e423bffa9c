/**
 * The datasets the setup screen offers: every release of the catalogue, marked local where its files are
 * under MOVIELENS_DIR or the data dir, with counts from the ETL's `etl.json` (the ETL runs in a child process
 * when a local release has not been converted yet, so the counts arrive without blocking the screen).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DATASET_NAMES, type DatasetName } from '../core/types.js';
import { CATALOG } from '../data/catalog.js';
import { readEtlManifest } from '../data/etl.js';
import { parquetDatasetDir } from '../data/load.js';

export interface DatasetCounts {
  ratings: number;
  movies: number;
  /** null where the release has no users file. */
  users: number | null;
}

export interface DatasetChoice {
  name: DatasetName;
  description: string;
  sizeNote: string;
  /** Where the files are: the release's folder under MOVIELENS_DIR, the data dir, or nowhere yet. */
  source: { kind: 'movielens-dir'; dir: string } | { kind: 'data-dir' } | null;
  /** From etl.json; null until the release has been converted. */
  counts: DatasetCounts | null;
}

const isFile = (file: string): Promise<boolean> =>
  fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * Every catalogue release with where it is and its counts, local ones first.
 * @example const choices = await listDatasets({ dataDir: 'data', movielensDir: '../shared/movielens' });
 */
export async function listDatasets(options: {
  dataDir: string;
  movielensDir?: string | undefined;
}): Promise<DatasetChoice[]> {
  const out: DatasetChoice[] = [];
  for (const name of DATASET_NAMES) {
    const entry = CATALOG[name];
    let source: DatasetChoice['source'] = null;
    if (options.movielensDir) {
      // As resolveSourceDir looks: the folder itself or its subfolder named like the release.
      const base = path.resolve(options.movielensDir);
      for (const dir of [path.join(base, entry.folder), path.join(base, name), base]) {
        if (await isFile(path.join(dir, entry.files.movies))) {
          source = { kind: 'movielens-dir', dir };
          break;
        }
      }
    }
    if (source === null) {
      const raw = path.join(options.dataDir, 'raw', name);
      const converted = await readEtlManifest(parquetDatasetDir(options.dataDir, name));
      if (converted || (await isFile(path.join(raw, entry.files.movies)))) source = { kind: 'data-dir' };
    }
    out.push({
      name,
      description: entry.description,
      sizeNote: entry.sizeNote,
      source,
      counts: source ? await readCounts(options.dataDir, name) : null,
    });
  }
  return [...out.filter((d) => d.source), ...out.filter((d) => !d.source)];
}

/**
 * The counts the ETL recorded for a dataset, or null when it has not been converted.
 * @example const counts = await readCounts('data', 'ml-100k'); // { ratings: 100000, movies: 1682, users: 943 }
 */
export async function readCounts(dataDir: string, name: DatasetName): Promise<DatasetCounts | null> {
  const manifest = await readEtlManifest(parquetDatasetDir(dataDir, name));
  if (!manifest) return null;
  return {
    ratings: manifest.outputs.ratings.rows,
    movies: manifest.outputs.movies.rows,
    users: manifest.outputs.users?.rows ?? null,
  };
}

/**
 * The `recsys data etl` arguments that convert a local release (so its counts and Parquet are ready).
 * @example etlArgs(choice, 'data'); // ['data', 'etl', 'ml-100k', '--data-dir', 'data', '--from', '/x/ml-100k']
 */
export function etlArgs(choice: DatasetChoice, dataDir: string): string[] {
  return [
    'data',
    'etl',
    choice.name,
    '--data-dir',
    dataDir,
    ...(choice.source?.kind === 'movielens-dir' ? ['--from', choice.source.dir] : []),
  ];
}

/**
 * `100,000 ratings · 943 users · 1,682 movies`.
 * @example formatCounts({ ratings: 100000, movies: 1682, users: 943 });
 */
export function formatCounts(counts: DatasetCounts): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  return [
    `${n(counts.ratings)} ratings`,
    ...(counts.users !== null ? [`${n(counts.users)} users`] : []),
    `${n(counts.movies)} movies`,
  ].join(' · ');
}
