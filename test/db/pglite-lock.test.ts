import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/core/errors.js';
import {
  acquirePgliteLock,
  DatabaseLockedError,
  PGLITE_LOCK_FILE,
  processStartTicks,
  type LockHolder,
  type PgliteLock,
} from '../../src/db/pglite-lock.js';
import { MOVIELENS_DIR } from './support.js';

/**
 * One PGlite directory, one process: the lock file `recsys.lock` (src/db/pglite-lock.ts). In one process on
 * real files (live, dead and reused pids, garbage, racing takeovers), then with real `recsys` processes: a
 * second opener is refused at once naming the first one's pid, writes through the first survive its restart,
 * and a SIGKILLed holder does not block the next opener.
 */

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'recsys-pglite-lock-'));
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

let dirs = 0;
async function lockDir(holder?: Partial<LockHolder> | string): Promise<{ dir: string; file: string }> {
  const dir = path.join(root, `dir-${++dirs}`);
  await fs.mkdir(dir);
  const file = path.join(dir, PGLITE_LOCK_FILE);
  if (holder !== undefined) {
    const content =
      typeof holder === 'string'
        ? holder
        : JSON.stringify({
            hostname: os.hostname(),
            since: '2026-01-01T00:00:00.000Z',
            command: 'recsys.js serve',
            startTicks: null,
            ...holder,
          });
    await fs.writeFile(file, content);
  }
  return { dir, file };
}

/** The pid of a process that has exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid as number));
  });
}

async function holderIn(file: string): Promise<number> {
  return (JSON.parse(await fs.readFile(file, 'utf8')) as LockHolder).pid;
}

describe('acquirePgliteLock (real files, one process)', () => {
  it('refuses at once while a live process holds the directory, naming its pid and DATABASE_URL', async () => {
    // The process that started this test file is alive for as long as the test runs.
    const live = { pid: process.ppid, startTicks: processStartTicks(process.ppid) };
    const { dir, file } = await lockDir(live);
    const before = await fs.readFile(file, 'utf8');
    const error = await acquirePgliteLock(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseLockedError);
    const locked = error as DatabaseLockedError;
    expect(locked.code).toBe('CONFLICT');
    expect(EXIT_CODES[locked.code]).toBe(75);
    expect(locked.holder.pid).toBe(process.ppid);
    expect(locked.message).toContain(`the embedded database ${dir} is in use by process ${process.ppid}`);
    expect(locked.message).toContain('set DATABASE_URL to a PostgreSQL server to run several processes');
    expect(await fs.readFile(file, 'utf8')).toBe(before);
  });

  it('takes over a stale lock: a dead pid, a reused pid (another start time), unreadable content', async () => {
    const stale = [
      { pid: await deadPid() },
      { pid: process.ppid, startTicks: 'not-its-start-time' },
      'half-written{',
    ];
    for (const holder of stale) {
      const { dir, file } = await lockDir(holder);
      const lock = await acquirePgliteLock(dir);
      expect(await holderIn(file)).toBe(process.pid);
      lock.release();
      await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
      expect(await fs.readdir(dir)).toEqual([]);
    }
  });

  it('a lock from a process on another host is not taken over (its pid cannot be checked here)', async () => {
    const { dir, file } = await lockDir({ pid: await deadPid(), hostname: `not-${os.hostname()}` });
    await expect(acquirePgliteLock(dir)).rejects.toThrow(`; if that process no longer runs, delete ${file}`);
  });

  it('openers racing for one stale lock: exactly one gets it, the others are refused naming the winner', async () => {
    const { dir, file } = await lockDir({ pid: await deadPid() });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquirePgliteLock(dir)));
    const won = results.filter((r): r is PromiseFulfilledResult<PgliteLock> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    for (const r of refused) expect(r.reason).toBeInstanceOf(DatabaseLockedError);
    expect(await holderIn(file)).toBe(process.pid);
    won[0]!.value.release();
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

/** A `recsys` process with a temp data dir on PGlite (DATABASE_URL and other settings removed). */
function recsysEnv(work: string): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of Object.keys(base))
    if (/^(RECSYS_|DATABASE_URL$|MOVIELENS_DIR$|PORT$|HOST$)/.test(name)) delete base[name];
  return {
    ...base,
    RECSYS_DATA_DIR: path.join(work, 'data'),
    RECSYS_ARTIFACTS: path.join(work, 'artifacts'),
    MOVIELENS_DIR: path.join(MOVIELENS_DIR, 'ml-100k'),
    RECSYS_DATASET: 'ml-100k',
    RECSYS_MODEL: 'popularity',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
  };
}

interface Server {
  child: ChildProcess;
  url: string;
  exit: Promise<number | null>;
}

/** Starts `recsys <command>` and resolves once it listens. */
function startServer(command: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn(process.execPath, ['bin/recsys.js', command], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening url=(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve({ child, url: match[1] as string, exit });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exit.then((code) => reject(new Error(`recsys ${command} exited with ${code}:\n${output}`)));
  });
}

function runRecsys(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    // A process that is not refused would serve forever: stop it after 150 s, so the test fails cleanly.
    execFile(
      process.execPath,
      ['bin/recsys.js', ...args],
      { env, timeout: 150_000 },
      (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr });
      },
    );
  });
}

describe('two recsys processes on one PGlite directory', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('the second is refused at once naming the first pid; writes through the first survive its restart; a killed holder does not block', async () => {
    const work = path.join(root, 'two-processes');
    const env = recsysEnv(work);
    const pgliteDir = path.join(work, 'data', 'pglite');
    const lockFile = path.join(pgliteDir, PGLITE_LOCK_FILE);

    const first = await startServer('start', env);
    children.push(first.child);
    expect(await holderIn(lockFile)).toBe(first.child.pid);

    const commands = [['serve'], ['db', 'seed'], ['db', 'migrate']];
    for (const second of await Promise.all(commands.map((args) => runRecsys(args, env)))) {
      expect(second.code, second.stderr).toBe(EXIT_CODES.CONFLICT);
      expect(second.stderr).toContain(
        `error [CONFLICT]: the embedded database ${pgliteDir} is in use by process ${first.child.pid}`,
      );
      expect(second.stderr).toContain('DATABASE_URL');
    }

    // Writes through the first process: user 1 gives half a star (never in ml-100k) to movies 1..40.
    const token = (await fs.readFile(path.join(work, 'data', 'api-token'), 'utf8')).trim();
    const movies = Array.from({ length: 40 }, (_, i) => i + 1);
    for (const movieId of movies) {
      const response = await fetch(`${first.url}/users/1/ratings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ movieId, rating: 0.5 }),
      });
      expect(response.status).toBe(201);
    }
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    await expect(fs.stat(lockFile)).rejects.toThrow(/ENOENT/);

    // Restarted, the server reads every one of them back.
    const restarted = await startServer('serve', env);
    children.push(restarted.child);
    const read = (await (await fetch(`${restarted.url}/users/1/ratings?limit=1000`)).json()) as {
      ratings: { movieId: number; rating: number }[];
    };
    const halfStars = read.ratings.filter((r) => r.rating === 0.5).map((r) => r.movieId);
    expect(halfStars.sort((a, b) => a - b)).toEqual(movies);

    // Killed without a chance to clean up: its lock stays behind, and does not block the next opener (whose
    // first step, before PGlite starts, is this lock).
    restarted.child.kill('SIGKILL');
    await restarted.exit;
    expect(await holderIn(lockFile)).toBe(restarted.child.pid);
    const next = await acquirePgliteLock(pgliteDir);
    expect(await holderIn(lockFile)).toBe(process.pid);
    next.release();
    await expect(fs.stat(lockFile)).rejects.toThrow(/ENOENT/);
  }, 300_000); // two PGlite starts and five recsys processes: minutes on a loaded two-core machine
});
