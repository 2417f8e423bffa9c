import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { acquirePgliteLock, type PgliteLock } from '../pglite-lock.js';
import { quoteIdent, type SqlRow, type SqlRunner, type SqlTransaction } from '../sql.js';

/** The dataDir value that asks for a throw-away in-memory database (PGlite's own convention). */
export const PGLITE_MEMORY = 'memory://';

interface SharedInstance {
  opened: Promise<{ pglite: PGlite; lock: PgliteLock }>;
  refs: number;
}

// PGlite takes 3-7 s to start and two instances must never open the same directory: one per directory per
// process, shared by reference count, and one process per directory, by the lock file (pglite-lock.ts).
const instances = new Map<string, SharedInstance>();

async function openLocked(dir: string): Promise<{ pglite: PGlite; lock: PgliteLock }> {
  const lock = await acquirePgliteLock(dir);
  try {
    return { pglite: await PGlite.create(dir), lock };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * Opens (or shares) the PGlite instance for `dir`; `release` closes it when the last user lets go. The
 * directory is locked for this process while open: DatabaseLockedError (naming the holder's pid) when another
 * live process has it. `memory://` always gives a fresh private instance.
 * @example const { pglite, release } = await openPglite('./data/pglite'); await release();
 */
export async function openPglite(dir: string): Promise<{ pglite: PGlite; release: () => Promise<void> }> {
  if (dir === PGLITE_MEMORY) {
    const pglite = await PGlite.create();
    return { pglite, release: () => pglite.close() };
  }
  const key = path.resolve(dir);
  let shared = instances.get(key);
  if (!shared) {
    const created: SharedInstance = { opened: openLocked(key), refs: 0 };
    created.opened.catch(() => instances.delete(key));
    instances.set(key, created);
    shared = created;
  }
  shared.refs++;
  const held = shared;
  let opened;
  try {
    opened = await held.opened;
  } catch (error) {
    held.refs--;
    throw error;
  }
  const { pglite, lock } = opened;
  let released = false;
  return {
    pglite,
    release: async () => {
      if (released) return;
      released = true;
      held.refs--;
      if (held.refs === 0) {
        instances.delete(key);
        try {
          await pglite.close();
        } finally {
          lock.release();
        }
      }
    },
  };
}

/** A runner over a PGlite instance or one of its transactions. */
export function pgliteRunner(db: PGlite | Transaction): SqlRunner {
  return {
    async query<T extends SqlRow>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const result = await db.query<T>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}

/** Runs `fn` in a PGlite transaction (PGlite queues other queries until it ends). */
export function withPgliteTransaction<T>(pglite: PGlite, fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
  return pglite.transaction(async (tx) =>
    fn({
      ...pgliteRunner(tx),
      async copyBinary(table, columns, chunks) {
        // PGlite has no COPY FROM STDIN; it reads a Blob handed to the query as the file '/dev/blob'.
        const sql = `COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM '/dev/blob' WITH (FORMAT binary)`;
        // The chunks are our own encoder's output over plain ArrayBuffers; the DOM lib's BlobPart (pulled in
        // by the TUI's React types) wants that said.
        const result = await tx.query(sql, [], { blob: new Blob([...chunks] as Uint8Array<ArrayBuffer>[]) });
        return result.affectedRows ?? 0;
      },
    }),
  );
}
