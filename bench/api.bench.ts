/**
 * `npm run bench:api`: the real server under load, beside a bare @koa/router route, and under a mix of
 * traffic as it comes.
 *
 * Setup: ml-latest-small from ../shared -> Parquet -> PostgreSQL (a fresh schema in database `test` at
 * 127.0.0.1:5432; embedded PGlite when no server answers) migrated + seeded, plus `--cold-users` (12,000)
 * extra users whose ratings copy those of the dataset's users with at most 40 ratings (ids from 1,000,001; the
 * model was not trained on them, so each is ranked by fold-in the first time it is asked for) -> the model
 * (default ALS with its default hyperparameters) trained and promoted. Then `node bin/recsys.js serve` runs as
 * a child process (the real server: @koa/router + koa-zod-router; access logs off unless --access-log), and so
 * does a bare Koa app whose one @koa/router route returns a fixed JSON body (the recommendations of user 1, so
 * both answer the same bytes).
 *
 * Cached reads: both servers stay up for the whole run and are measured in alternating rounds (bare, recsys,
 * bare, recsys, ...): each measurement is a 3 s warm-up, then autocannon for `--duration` s with 50
 * connections, every request for a random user of the 610 (seeded). The ratio to the bare route is reported
 * per round and as the median round's (on a shared 2-core VM the same bare server moved between 21k and 39k
 * req/s within minutes, so one pair of runs decides nothing). Targets: p99 < 25 ms (worst round) and zero
 * non-2xx (all rounds).
 *
 * Real traffic (`--mix-rounds`, default 2, recsys only; bench/load-generator.ts `mix`): 80% cached
 * recommendation reads, 15% users never asked before (read from the database and ranked by fold-in), 5% a
 * rating write followed by a read of the same user (which must be ranked again); req/s, p50/p99 per kind and
 * server CPU per request. A last run with the user cache off (`--cache-ttl-ms 0`: the database is read and the
 * ranking computed on every request) shows where the time goes (`--no-uncached` skips it).
 *
 * The load runs in a process of its own (bench/load-generator.ts), so the client's speed does not depend on
 * this process's heap (datasets, TF.js, the training). Where `taskset` exists and there are at least 2 cores,
 * the servers run on core 0 and the load generator on core 1, the same for both targets (`--no-pin` to let
 * the scheduler choose).
 *
 * Flags: --duration S (default 20), --rounds N (3), --mix-rounds N (2), --connections N (50), --cold-users N
 * (12000), --model KIND (als), --no-uncached, --no-pin, --access-log, --pglite (skip PostgreSQL), --profile (V8
 * CPU profile of the recsys server over the whole run: prints where its time goes, by package and function).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import pg from 'pg';
import { loadDatasetTables } from '../src/data/load.js';
import { createDatabase } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { seedDatabase } from '../src/db/seed.js';
import { createStore } from '../src/storage/store.js';
import { initBackend } from '../src/tf/backend.js';
import { trainToArtifact } from '../src/training/pipeline.js';

const ML_DIR = path.resolve(process.cwd(), '..', 'shared', 'movielens');
const POSTGRES = 'postgresql://postgres@127.0.0.1:5432/test';

const flag = (name: string): boolean => process.argv.includes(`--${name}`);
function value(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? String(process.argv[at + 1]) : fallback;
}
const DURATION = Number(value('duration', '20'));
const ROUNDS = Number(value('rounds', '3'));
const CONNECTIONS = Number(value('connections', '50'));
const MODEL = value('model', 'als');
const MIX_ROUNDS = Number(value('mix-rounds', '2'));
const COLD_USERS = Number(value('cold-users', '12000'));
/** Ids of the extra users the mix asks for once each (see the setup). */
const COLD_FIRST_ID = 1_000_001;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} never answered:\n${output()}`);
}

/** Servers on core 0 and the load generator on core 1, when taskset exists and there are 2 cores. */
const PIN =
  !flag('no-pin') &&
  os.cpus().length >= 2 &&
  spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status === 0;

function spawnServer(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  let output = '';
  const [command, ...rest] = PIN
    ? ['taskset', '-c', '0', process.execPath, ...args]
    : [process.execPath, ...args];
  const child = spawn(command as string, rest, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  return { child, output: () => output };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** CPU seconds a process has used (Linux /proc; NaN elsewhere): per-request cost that load elsewhere on the
 * machine does not inflate the way it inflates wall-clock figures. */
async function cpuSecondsOf(pid: number | undefined): Promise<number> {
  try {
    const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Figures {
  name: string;
  /** Server CPU microseconds per request. */
  cpuMicros: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  non2xx: number;
  errors: number;
}

/** Runs bench/load-generator.ts (autocannon in a process of its own, on core 1 when pinned). */
async function generateLoad(base: string, seconds: number): Promise<autocannon.Result> {
  const args = [
    '--import',
    'tsx',
    'bench/load-generator.ts',
    base,
    String(CONNECTIONS),
    String(seconds),
    '610',
  ];
  const [command, ...rest] = PIN
    ? ['taskset', '-c', '1', process.execPath, ...args]
    : [process.execPath, ...args];
  const child = spawn(command as string, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  return JSON.parse(output) as autocannon.Result;
}

async function load(name: string, base: string, seconds: number, pid?: number): Promise<Figures> {
  const cpuBefore = await cpuSecondsOf(pid);
  const result = await generateLoad(base, seconds);
  const cpu = (await cpuSecondsOf(pid)) - cpuBefore;
  return {
    name,
    cpuMicros: (cpu * 1e6) / Math.max(1, result.requests.total),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

interface KindFigures {
  count: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
}

interface MixFigures {
  name: string;
  rps: number;
  requests: number;
  cpuMicros: number;
  kinds: Record<string, KindFigures>;
}

/** One run of the real-traffic mix (bench/load-generator.ts `mix`), with the server's CPU per request. */
async function measureMix(
  name: string,
  base: string,
  pid: number | undefined,
  configFile: string,
): Promise<MixFigures> {
  const args = [
    '--import',
    'tsx',
    'bench/load-generator.ts',
    'mix',
    base,
    String(CONNECTIONS),
    String(DURATION),
    configFile,
  ];
  const [command, ...rest] = PIN
    ? ['taskset', '-c', '1', process.execPath, ...args]
    : [process.execPath, ...args];
  const cpuBefore = await cpuSecondsOf(pid);
  const child = spawn(command as string, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`mix load generator exited with ${code}`);
  // The CPU of the prefetch of hot users (not timed) is left in: a few hundred requests against ~10^4.
  const cpu = (await cpuSecondsOf(pid)) - cpuBefore;
  const result = JSON.parse(output) as { rps: number; requests: number; kinds: Record<string, KindFigures> };
  const figures = {
    name,
    rps: result.rps,
    requests: result.requests,
    cpuMicros: (cpu * 1e6) / Math.max(1, result.requests),
    kinds: result.kinds,
  };
  process.stderr.write(`${name}: ${figures.rps.toFixed(0)} req/s\n`);
  return figures;
}

async function measure(name: string, base: string, pid: number | undefined): Promise<Figures> {
  await load(`${name} warm-up`, base, 3);
  const figures = await load(name, base, DURATION, pid);
  process.stderr.write(`${name}: ${figures.rps.toFixed(0)} req/s, p99 ${figures.p99} ms\n`);
  return figures;
}

async function main(): Promise<void> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-bench-api-'));
  const children: ChildProcess[] = [];
  const schema = `bench_api_${process.pid}`;
  const usePostgres = !flag('pglite') && (await postgresReachable());
  const databaseEnv: Record<string, string> = usePostgres
    ? { DATABASE_URL: `${POSTGRES}?schema=${schema}` }
    : { RECSYS_PGLITE_DIR: path.join(work, 'pglite') };
  try {
    process.stderr.write(`setup: ml-latest-small, ${usePostgres ? 'PostgreSQL' : 'PGlite'}, ${MODEL}\n`);
    const tables = await loadDatasetTables('ml-latest-small', {
      dataDir: path.join(work, 'data'),
      from: ML_DIR,
    });
    const db = await createDatabase({
      databaseUrl: databaseEnv.DATABASE_URL,
      pgliteDir: databaseEnv.RECSYS_PGLITE_DIR ?? '',
    });
    await migrate(db);
    await seedDatabase(db, tables, { dataset: 'ml-latest-small' });
    // Users the model never saw, each asked for once by the mix: copies of the small histories (<= 40
    // ratings) of the dataset's users, so fold-in ranks them.
    await db.exec(
      `CREATE TEMP TABLE bench_small AS
         SELECT user_id, (row_number() OVER (ORDER BY user_id) - 1)::int AS n
           FROM ratings GROUP BY user_id HAVING count(*) <= 40;
       INSERT INTO users (id) SELECT ${COLD_FIRST_ID - 1} + g FROM generate_series(1, ${COLD_USERS}) AS g;
       INSERT INTO ratings (user_id, movie_id, rating, rated_at)
         SELECT ${COLD_FIRST_ID - 1} + g, r.movie_id, r.rating, r.rated_at
           FROM generate_series(1, ${COLD_USERS}) AS g
           JOIN bench_small s ON s.n = (g - 1) % (SELECT count(*) FROM bench_small)
           JOIN ratings r ON r.user_id = s.user_id;
       DROP TABLE bench_small;`,
    );
    await db.close();
    await initBackend('auto');
    const artifacts = path.join(work, 'artifacts');
    const trained = await trainToArtifact({
      store: createStore(artifacts),
      tables,
      dataset: 'ml-latest-small',
      kind: MODEL as 'als',
    });
    process.stderr.write(
      `trained ${MODEL} ${trained.ref.version} in ${trained.trained.fitSeconds.toFixed(1)} s\n`,
    );

    const profileDir = path.join(work, 'profile');
    const startRecsys = async (
      extra: string[],
      profile = false,
    ): Promise<{ base: string; child: ChildProcess }> => {
      const port = await freePort();
      const nodeFlags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      const server = spawnServer([...nodeFlags, 'bin/recsys.js', 'serve', '--port', String(port), ...extra], {
        ...databaseEnv,
        RECSYS_ARTIFACTS: artifacts,
        RECSYS_MODEL: MODEL,
        HOST: '127.0.0.1',
        LOG_LEVEL: flag('access-log') ? 'info' : 'warn',
        RECSYS_API_TOKEN: 'bench',
      });
      children.push(server.child);
      const base = `http://127.0.0.1:${port}`;
      await waitFor(`${base}/ready`, server.child, server.output);
      return { base, child: server.child };
    };

    const recsys = await startRecsys(
      process.argv.includes('--cache-ttl-ms') ? ['--cache-ttl-ms', value('cache-ttl-ms', '1000')] : [],
      flag('profile'),
    );
    const body = await (await fetch(`${recsys.base}/users/1/recommendations?k=10`)).text();
    const bodyFile = path.join(work, 'body.json');
    await fs.writeFile(bodyFile, body);
    const barePort = await freePort();
    const bare = spawnServer(['--import', 'tsx', 'bench/bare-koa-server.ts', String(barePort), bodyFile], {});
    children.push(bare.child);
    const bareBase = `http://127.0.0.1:${barePort}`;
    await waitFor(`${bareBase}/users/1/recommendations`, bare.child, bare.output);

    const rounds: { bare: Figures; recsys: Figures }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const bareFigures = await measure(`round ${round}: bare Koa route`, bareBase, bare.child.pid);
      const recsysFigures = await measure(`round ${round}: recsys`, recsys.base, recsys.child.pid);
      rounds.push({ bare: bareFigures, recsys: recsysFigures });
    }
    await stop(bare.child);
    // Real traffic, on the same (warm) server: each run takes cold users no run has asked for.
    const mixes: MixFigures[] = [];
    const perRun = Math.floor(COLD_USERS / Math.max(1, MIX_ROUNDS));
    for (let round = 1; round <= MIX_ROUNDS; round++) {
      const configFile = path.join(work, `mix-${round}.json`);
      const first = COLD_FIRST_ID + (round - 1) * perRun;
      await fs.writeFile(
        configFile,
        JSON.stringify({
          hotUsers: 610,
          coldUsers: Array.from({ length: perRun }, (_, i) => first + i),
          movies: tables.movies.map((m) => m.movieId),
          token: 'bench',
        }),
      );
      mixes.push(await measureMix(`mix round ${round}`, recsys.base, recsys.child.pid, configFile));
    }
    await stop(recsys.child);
    if (flag('profile')) process.stdout.write(`${await summarizeProfile(profileDir)}\n`);
    let uncachedFigures: Figures | undefined;
    if (!flag('no-uncached')) {
      const uncached = await startRecsys(['--cache-ttl-ms', '0']);
      uncachedFigures = await measure(
        'recsys, user cache off (DB read + ranking per request)',
        uncached.base,
        uncached.child.pid,
      );
      await stop(uncached.child);
    }

    const ratio = (r: { bare: Figures; recsys: Figures }): number => r.recsys.rps / r.bare.rps;
    const median = [...rounds].sort((a, b) => ratio(a) - ratio(b))[Math.floor(rounds.length / 2)] as {
      bare: Figures;
      recsys: Figures;
    };
    const worstP99 = Math.max(...rounds.map((r) => r.recsys.p99));
    const kindNames = ['cached read', 'cold user', 'rating write', 'read after write'];
    const mixRow = (m: MixFigures): string =>
      `| ${m.name} | ${m.rps.toFixed(0)} | ${m.requests} | ${m.cpuMicros.toFixed(0)} | ` +
      kindNames
        .map((kind) => {
          const k = m.kinds[kind];
          return k
            ? `${k.count} / ${k.p50.toFixed(1)} / ${k.p99.toFixed(1)}${k.non2xx + k.errors > 0 ? ` (${k.non2xx + k.errors} failed)` : ''}`
            : '-';
        })
        .join(' | ') +
      ' |';
    const failures = rounds.reduce((sum, r) => sum + r.recsys.non2xx + r.recsys.errors, 0);
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const row = (r: Figures, reference: Figures): string =>
      `| ${r.name} | ${r.rps.toFixed(0)} | ${((100 * r.rps) / reference.rps).toFixed(0)}% | ${r.p50} | ${r.p99} | ` +
      `${r.max} | ${r.requests} | ${r.non2xx} | ${r.errors} | ${r.cpuMicros.toFixed(0)} |`;
    const lines = [
      `bench:api ${date} UTC, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}, Node ${process.version}, ${usePostgres ? 'PostgreSQL' : 'PGlite'}, ${MODEL}, ` +
        `${CONNECTIONS} connections, ${DURATION} s per measurement, ${ROUNDS} rounds, ` +
        `${PIN ? 'servers on core 0 and autocannon on core 1' : 'not pinned'}, body ${body.length} B`,
      '',
      '| target | req/s | vs bare (same round) | p50 ms | p99 ms | max ms | requests | non-2xx | errors | server CPU µs/req |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rounds.flatMap((r) => [row(r.bare, r.bare), row(r.recsys, r.bare)]),
      ...(uncachedFigures ? [row(uncachedFigures, median.bare)] : []),
      '',
      `ratio to the bare @koa/router route: rounds ${rounds.map((r) => `${(100 * ratio(r)).toFixed(0)}%`).join(', ')}; median ${(100 * ratio(median)).toFixed(0)}%`,
      `targets: p99 < 25 ms (worst round ${worstP99} ms): ${worstP99 < 25 ? 'met' : 'MISSED'}; ` +
        `zero non-2xx (all rounds): ${failures === 0 ? 'met' : 'MISSED'}`,
      ...(mixes.length > 0
        ? [
            '',
            'real traffic (80% cached reads, 15% cold users, 5% rating write + read of that user); per kind: count / p50 ms / p99 ms',
            '',
            `| run | req/s | requests | server CPU µs/req | ${kindNames.join(' | ')} |`,
            `|---|---:|---:|---:|${kindNames.map(() => '---:').join('|')}|`,
            ...mixes.map(mixRow),
          ]
        : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const child of children) await stop(child);
    if (usePostgres) {
      const client = new pg.Client({ connectionString: POSTGRES });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
    await fs.rm(work, { recursive: true, force: true });
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time of a V8 .cpuprofile by package (or our folder) and by function, biggest first. */
async function summarizeProfile(dir: string): Promise<string> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) return 'no CPU profile written';
  const profile = JSON.parse(await fs.readFile(path.join(dir, files[0] as string), 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, micros] of self) {
    const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
      /\/(src\/[^/]+|bench)\//.exec(url)?.[1] ??
      (url.startsWith('node:') ? 'node core' : url === '' ? `(${functionName || 'native'})` : url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
    const name = `${functionName || '(anonymous)'} ${path.basename(url)}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  }
  const top = (m: Map<string, number>, n: number): string[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, micros]) => `  ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`);
  return [
    `CPU profile of the recsys server (${(total / 1e6).toFixed(1)} s sampled): self time by package`,
    ...top(byPackage, 15),
    'by function',
    ...top(byFunction, 25),
  ].join('\n');
}

await main();
