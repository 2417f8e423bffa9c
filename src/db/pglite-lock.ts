import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../core/errors.js';

/**
 * An exclusive, process-wide lock on a PGlite directory. PGlite is one process's database: two processes on
 * one directory each keep their own copy of the pages in memory and overwrite each other's writes. The lock
 * is a file `recsys.lock` inside the directory, created with an atomic hard link (or O_EXCL where links are
 * not supported) and holding the owner's pid, host and process start time. It is removed on close and on
 * process exit; a lock whose process is gone (killed, crashed) is stale and taken over by the next opener.
 */

export const PGLITE_LOCK_FILE = 'recsys.lock';

/** Who holds a lock, as recorded in the lock file. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** The holder's start time in clock ticks since boot (`/proc/<pid>/stat`), to tell a reused pid apart. */
  startTicks: string | null;
  since: string;
  command: string;
}

/** A PGlite directory whose lock another live process holds. Exit code 75 (CONFLICT) on the CLI. */
export class DatabaseLockedError extends AppError {
  readonly holder: LockHolder;
  readonly lockFile: string;
  constructor(dir: string, holder: LockHolder, lockFile: string) {
    const elsewhere = holder.hostname !== os.hostname();
    super(
      'CONFLICT',
      `the embedded database ${dir} is in use by process ${holder.pid}` +
        `${elsewhere ? ` on host ${holder.hostname}` : ''} (${holder.command}, since ${holder.since}). ` +
        "PGlite is one process's database: stop that process, or set DATABASE_URL to a PostgreSQL server " +
        'to run several processes on one database' +
        (elsewhere ? `; if that process no longer runs, delete ${lockFile}` : ''),
      { status: 409 },
    );
    this.holder = holder;
    this.lockFile = lockFile;
  }
}

/** A held lock. `release()` is idempotent and synchronous (it also runs from the process `exit` event). */
export interface PgliteLock {
  readonly file: string;
  release(): void;
}

/**
 * The start time of a process in clock ticks since boot, or null where `/proc` cannot tell (not Linux, no
 * such process).
 * @example processStartTicks(process.pid) // '123456'
 */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (the command) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22, starttime
  } catch {
    return null;
  }
}

/**
 * Whether the process a lock names still runs: same host, pid alive (signal 0; EPERM means alive under another
 * user), and, where `/proc` can tell, started at the recorded time (else the pid was reused). A holder on
 * another host cannot be checked and counts as alive.
 * @example isHolderAlive(readHolder(file)) // false after its process was killed
 */
export function isHolderAlive(holder: LockHolder): boolean {
  if (holder.hostname !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const ticks = processStartTicks(holder.pid);
  return holder.startTicks === null || ticks === null || ticks === holder.startTicks;
}

function parseHolder(raw: string): LockHolder | null {
  try {
    const value = JSON.parse(raw) as Partial<LockHolder>;
    if (!Number.isInteger(value.pid) || (value.pid as number) <= 0 || typeof value.hostname !== 'string')
      return null;
    return {
      pid: value.pid as number,
      hostname: value.hostname,
      startTicks: typeof value.startTicks === 'string' ? value.startTicks : null,
      since: typeof value.since === 'string' ? value.since : 'unknown',
      command: typeof value.command === 'string' ? value.command : 'unknown command',
    };
  } catch {
    return null;
  }
}

async function readRaw(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A crashed takeover leaves its guard file; guards older than this are ignored (a takeover takes ms). */
const TAKEOVER_GUARD_STALE_MS = 10_000;
const MAX_ATTEMPTS = 200;

/** Puts `content` at `file` only if nothing is there: an atomic hard link, else O_EXCL create and write. */
async function createExclusive(file: string, tmp: string, content: string): Promise<boolean> {
  try {
    await fsp.link(tmp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw error;
  }
  try {
    const handle = await fsp.open(file, 'wx');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * Removes the lock file if it still holds `staleRaw`, under a guard file so that two processes taking over
 * one stale lock at once cannot remove each other's fresh lock. Returns false when the guard is busy.
 */
async function removeStale(file: string, staleRaw: string): Promise<boolean> {
  const guard = `${file}.takeover`;
  let handle;
  try {
    handle = await fsp.open(guard, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const stat = await fsp.stat(guard).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > TAKEOVER_GUARD_STALE_MS) await fsp.rm(guard, { force: true });
    return false;
  }
  try {
    if ((await readRaw(file)) === staleRaw) await fsp.rm(file, { force: true });
    return true;
  } finally {
    await handle.close();
    await fsp.rm(guard, { force: true });
  }
}

/**
 * Takes the lock of a PGlite directory (creating the directory), or throws DatabaseLockedError naming the
 * live process that holds it. A lock left by a process that is gone is removed and taken. Never waits for a
 * live holder. Call once per directory per process (engines/pglite.ts shares one instance per directory).
 * @example const lock = await acquirePgliteLock('./data/pglite'); try { ... } finally { lock.release(); }
 */
export async function acquirePgliteLock(dir: string): Promise<PgliteLock> {
  dir = path.resolve(dir);
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, PGLITE_LOCK_FILE);
  const me: LockHolder = {
    pid: process.pid,
    hostname: os.hostname(),
    startTicks: processStartTicks(process.pid),
    since: new Date().toISOString(),
    command: [path.basename(process.argv[1] ?? 'node'), ...process.argv.slice(2)].join(' ').slice(0, 120),
  };
  const content = `${JSON.stringify(me)}\n`;
  const tmp = path.join(dir, `.${PGLITE_LOCK_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`);
  await fsp.writeFile(tmp, content);
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await createExclusive(file, tmp, content)) return held(file, content);
      const raw = await readRaw(file);
      if (raw === null) continue; // released in between: try again
      const holder = parseHolder(raw);
      if (holder === null && attempt < 5) {
        await sleep(20); // an O_EXCL writer between create and write
        continue;
      }
      if (holder !== null && isHolderAlive(holder)) throw new DatabaseLockedError(dir, holder, file);
      if (!(await removeStale(file, raw))) await sleep(5 + ((process.pid + attempt) % 20)); // spread the retries
    }
    throw new AppError('CONFLICT', `could not take the lock ${file}: other processes keep racing for it`, {
      status: 409,
    });
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

function held(file: string, content: string): PgliteLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    try {
      if (fs.readFileSync(file, 'utf8') === content) fs.unlinkSync(file);
    } catch {
      // Already gone (the directory was deleted): nothing to release.
    }
  };
  process.on('exit', release);
  return { file, release };
}
