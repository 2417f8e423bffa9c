/**
 * bench:etl — a generated ml-25m-format `ratings.csv` of 10,000,000 rows converted to Parquet, as a ratio to
 * the I/O floor measured in the same run on the same file.
 *
 * The floor is what a naive consumer pays to read the bytes and split them into lines, nothing else:
 * `fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 MiB })`, and for each chunk
 * `(carry + chunk).split('\n')`, keeping the last piece as the carry for the next chunk and counting the
 * lines. (A `readline` loop, the other naive idiom, is printed for reference; it is slower, so the ratio is
 * taken against the split floor.)
 *
 * The ETL is `runEtl` exactly as `recsys data etl` runs it: read and validate every line (byte-level
 * parser, sha256 of the input in the same pass, duplicate-pair check), read movies.csv, write zstd
 * ratings.parquet and movies.parquet through temp files + rename, write etl.json. For a file this size the
 * ratings are compressed on a worker thread while the main thread parses (one run without it is printed).
 * CPU seconds of all threads are printed beside wall-clock seconds: on a shared machine they show the work
 * done when the wall clock mostly shows the neighbours.
 *
 * Each is measured 3 times, interleaved, and the median is reported. Usage: npm run bench:etl [-- --rows N]
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createRng } from '../src/core/rng.js';
import { CATALOG } from '../src/data/catalog.js';
import { runEtl } from '../src/data/etl.js';
import { writeRatingsParquet } from '../src/data/parquet-tables.js';
import { readRatingsFile } from '../src/data/readers/ratings.js';
import type { DatasetTables, MovieRow } from '../src/data/schema.js';
import { writeMovieLensFiles } from '../src/data/writers.js';

const ROWS = Number(process.argv[process.argv.indexOf('--rows') + 1]) || 10_000_000;
const USERS = 162_541;
const MOVIES = 59_047;
const MAX_MOVIE_ID = 209_171;
const SEED = 25;
const RUNS = 3;

/** ml-latest-small's share of each half-star rating, 0.5 .. 5.0 (MANIFEST.md). */
const RATING_WEIGHTS = [1370, 2811, 1791, 7551, 5550, 20047, 13136, 26818, 8551, 13211];

function cumulative(weights: ArrayLike<number>): Float64Array {
  const cdf = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) cdf[i] = sum += weights[i] as number;
  for (let i = 0; i < cdf.length; i++) cdf[i] = (cdf[i] as number) / sum;
  return cdf;
}

function sample(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cdf[mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * An ml-25m-shaped dataset: Zipf movie popularity, Pareto user activity (at least 20 ratings each, as in
 * MovieLens), half-star ratings with ml-latest-small's distribution, rows sorted by user then movie like
 * ml-25m's ratings.csv. Deterministic for a seed.
 */
function generate(rows: number, seed: number): DatasetTables {
  const rng = createRng(seed);
  const users = Math.min(USERS, Math.floor(rows / 20));
  const movieIds = Int32Array.from({ length: MOVIES }, (_, k) => Math.floor((k * MAX_MOVIE_ID) / MOVIES) + 1);
  const byRank = Int32Array.from({ length: MOVIES }, (_, k) => k);
  for (let i = MOVIES - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [byRank[i], byRank[j]] = [byRank[j] as number, byRank[i] as number];
  }
  const popularity = cumulative(Float64Array.from({ length: MOVIES }, (_, r) => 1 / (r + 10) ** 0.9));
  // Activity: 20 each, the rest shared out by Pareto(1.2) weights, capped at half the catalogue.
  const weights = Float64Array.from({ length: users }, () => (1 - rng.next()) ** (-1 / 1.2));
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = Int32Array.from(weights, (w) =>
    Math.min(MOVIES >> 1, 20 + Math.floor(((rows - 20 * users) * w) / total)),
  );
  let left = rows - counts.reduce((a, b) => a + b, 0);
  while (left > 0) {
    const u = rng.int(users);
    if ((counts[u] as number) < MOVIES >> 1) {
      counts[u] = (counts[u] as number) + 1;
      left--;
    }
  }
  const ratingCdf = cumulative(RATING_WEIGHTS);
  const userId = new Int32Array(rows);
  const movieId = new Int32Array(rows);
  const rating = new Float32Array(rows);
  const timestamp = new Float64Array(rows);
  const stamp = new Int32Array(MOVIES);
  let row = 0;
  for (let u = 0; u < users; u++) {
    const start = row;
    for (let k = 0; k < (counts[u] as number);) {
      const slot = byRank[sample(popularity, rng.next())] as number;
      if (stamp[slot] === u + 1) continue;
      stamp[slot] = u + 1;
      movieId[row++] = movieIds[slot] as number;
      k++;
    }
    movieId.subarray(start, row).sort();
    let time = 789_652_009 + rng.int(780_000_000);
    for (let i = start; i < row; i++) {
      userId[i] = u + 1;
      rating[i] = (sample(ratingCdf, rng.next()) + 1) / 2;
      timestamp[i] = time += rng.int(5000);
    }
  }
  const genres = ['Action', 'Comedy', 'Drama', 'Romance', 'Thriller', 'Sci-Fi', 'Children'];
  const movies: MovieRow[] = Array.from(movieIds, (id, k) => ({
    movieId: id,
    title: `Generated Movie ${id}, The (${1900 + (k % 120)})`,
    year: 1900 + (k % 120),
    genres: genres.filter((_, g) => (k >> g) % 3 === 0),
  }));
  return { ratings: { length: rows, userId, movieId, rating, timestamp }, movies, users: null };
}

/** The floor: stream the bytes as UTF-8 and split them into lines, nothing else. */
async function splitFloor(file: string): Promise<number> {
  let lines = 0;
  let carry = '';
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const parts = (carry + (chunk as string)).split('\n');
    carry = parts.pop() as string;
    lines += parts.length;
  }
  return lines + (carry.length > 0 ? 1 : 0);
}

async function readlineFloor(file: string): Promise<number> {
  let lines = 0;
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const _line of rl) lines++;
  return lines;
}

/** Wall-clock seconds and CPU seconds of this process (all threads: the ETL's writer thread counts). */
async function time<T>(fn: () => Promise<T>): Promise<{ seconds: number; cpu: number; value: T }> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return {
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    cpu: (used.user + used.system) / 1e6,
    value,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

async function main(): Promise<void> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'recsys-bench-etl-'));
  try {
    const source = path.join(dir, 'ml-25m');
    const gen = await time(async () => writeMovieLensFiles('csv', generate(ROWS, SEED), source));
    const file = path.join(source, 'ratings.csv');
    const mb = (await fsp.stat(file)).size / 1e6;
    console.log(
      `generated ${ROWS.toLocaleString('en-US')} ratings (${mb.toFixed(1)} MB, seed ${SEED}) in ${gen.seconds.toFixed(1)}s`,
    );
    console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})`);

    const floor = { wall: [] as number[], cpu: [] as number[] };
    const etl = { wall: [] as number[], cpu: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      const f = await time(() => splitFloor(file));
      if (f.value !== ROWS + 1) throw new Error(`floor counted ${f.value} lines`);
      const e = await time(() =>
        runEtl(CATALOG['ml-25m'], source, path.join(dir, 'parquet'), { force: true }),
      );
      if (e.value.manifest.outputs.ratings.rows !== ROWS) throw new Error('ETL lost rows');
      floor.wall.push(f.seconds);
      floor.cpu.push(f.cpu);
      etl.wall.push(e.seconds);
      etl.cpu.push(e.cpu);
      console.log(
        `run ${run + 1}: floor ${f.seconds.toFixed(2)} s (cpu ${f.cpu.toFixed(2)}), ` +
          `etl ${e.seconds.toFixed(2)} s (cpu ${e.cpu.toFixed(2)}), load average ${os.loadavg()[0]?.toFixed(1)}`,
      );
    }
    const rl = await time(() => readlineFloor(file));
    const parse = await time(() =>
      readRatingsFile(file, { layout: 'csv', scale: CATALOG['ml-25m'].ratingScale, hash: true }),
    );
    const write = await time(() =>
      writeRatingsParquet(path.join(dir, 'breakdown.parquet'), parse.value.table),
    );
    const sequential = await time(() =>
      runEtl(CATALOG['ml-25m'], source, path.join(dir, 'parquet-sequential'), {
        force: true,
        parallelWrite: false,
      }),
    );
    const parquetMb = (await fsp.stat(path.join(dir, 'parquet', 'ratings.parquet'))).size / 1e6;

    const line = (label: string, t: { seconds: number; cpu: number }): string =>
      `${label.padEnd(36)} ${t.seconds.toFixed(2).padStart(6)} s  ${(ROWS / t.seconds / 1e6).toFixed(2).padStart(5)} M rows/s` +
      `  ${(mb / t.seconds).toFixed(0).padStart(4)} MB/s  cpu ${t.cpu.toFixed(2)} s`;
    const f = { seconds: median(floor.wall), cpu: median(floor.cpu) };
    const e = { seconds: median(etl.wall), cpu: median(etl.cpu) };
    console.log('');
    console.log(`medians of ${RUNS} runs:`);
    console.log(line('I/O floor (stream + split lines)', f));
    console.log(line('ETL ratings.csv -> Parquet', e));
    console.log(
      `ratio ETL / floor: ${(e.seconds / f.seconds).toFixed(2)}x wall clock (target <= 3x), ${(e.cpu / f.cpu).toFixed(2)}x CPU`,
    );
    console.log('');
    console.log('reference and breakdown (single runs):');
    console.log(line('  readline floor', rl));
    console.log(line('  parse + validate + sha256', parse));
    console.log(line('  write ratings.parquet (zstd)', write));
    console.log(line('  ETL without the writer thread', sequential));
    console.log(
      `  ratings.parquet: ${parquetMb.toFixed(1)} MB (${((parquetMb / mb) * 100).toFixed(0)}% of the CSV)`,
    );
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

await main();
