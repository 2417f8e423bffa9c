/**
 * npm run bench:train-source — where `recsys train` should read its ratings from: the database directly
 * (`--source db`, readTrainingTables) against the ETL's Parquet (`--source files`), on ml-1m's 1,000,209
 * interactions from ../shared/movielens, in the same run. Each read runs in a fresh child process so its peak
 * RSS is its own; rounds alternate the order; medians are reported, with the ratio db / Parquet.
 * A `db export` to Parquet would cost the database read plus a Parquet write plus the Parquet read.
 *
 * Env: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test), BENCH_ROUNDS (default 3).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDatasetTables } from '../src/data/load.js';
import { createDatabase } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { readTrainingTables } from '../src/db/training-data.js';
import { seedDatabase } from '../src/db/seed.js';

const BASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MOVIELENS = path.resolve(process.cwd(), '..', 'shared', 'movielens');
const SELF = fileURLToPath(import.meta.url);

interface Sample {
  seconds: number;
  peakMb: number;
  rows: number;
}

/** One read in this process (the child's side): prints a Sample as JSON. */
async function child(which: string, url: string, dataDir: string): Promise<void> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const t0 = performance.now();
  const read = async (): Promise<number> => {
    if (which !== 'db')
      return (await loadDatasetTables('ml-1m', { dataDir, from: MOVIELENS })).ratings.length;
    const db = await createDatabase({ databaseUrl: url, pgliteDir: '' });
    try {
      return (await readTrainingTables(db)).ratings.length;
    } finally {
      await db.close();
    }
  };
  const rows = await read();
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(JSON.stringify({ seconds, peakMb: (peak - start) / 1e6, rows }));
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  const schema = `bench_train_source_${process.pid}`;
  const url = `${BASE_URL}?schema=${schema}`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-bench-source-'));
  const db = await createDatabase({ databaseUrl: url, pgliteDir: '' });
  try {
    process.stdout.write('seeding ml-1m into a scratch schema (ETL to Parquet on the way)...\n');
    const tables = await loadDatasetTables('ml-1m', { dataDir, from: MOVIELENS });
    await migrate(db);
    await seedDatabase(db, tables, { dataset: 'ml-1m' });
    const samples: Record<string, Sample[]> = { db: [], parquet: [] };
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const which of round % 2 === 0 ? ['db', 'parquet'] : ['parquet', 'db']) {
        const out = execFileSync(
          process.execPath,
          ['--import', 'tsx', SELF, '--child', which, url, dataDir],
          {
            encoding: 'utf8',
          },
        );
        (samples[which] as Sample[]).push(JSON.parse(out) as Sample);
      }
    }
    const row = (name: string): string => {
      const s = samples[name] as Sample[];
      return `${name.padEnd(8)} ${median(s.map((x) => x.seconds)).toFixed(2)} s  +${median(s.map((x) => x.peakMb)).toFixed(0)} MB peak RSS  (${s[0]?.rows} rows; runs ${s.map((x) => x.seconds.toFixed(2)).join(', ')})`;
    };
    process.stdout.write(`${row('db')}\n${row('parquet')}\n`);
    const ratio = median(samples.db!.map((x) => x.seconds)) / median(samples.parquet!.map((x) => x.seconds));
    process.stdout.write(
      `db / parquet time: ${ratio.toFixed(2)} (machine: ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)})\n`,
    );
  } finally {
    await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string);
} else {
  await main();
}
