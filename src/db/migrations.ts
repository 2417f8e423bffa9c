import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../core/errors.js';

/**
 * The migrations folder in Prisma's layout (`<timestamp>_<name>/migration.sql` and `migration_lock.toml`) and
 * Prisma's checksum rules, shared by our migrator and its tests.
 */

/** `prisma/migrations` of this checkout (src/db/ and dist/db/ both sit two levels below the root). */
export const DEFAULT_MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'prisma',
  'migrations',
);

/** A migration the folder holds. */
export interface MigrationFile {
  /** Folder name, e.g. `20261125120000_init`; Prisma applies them in name order. */
  name: string;
  /** The script as Prisma reads it (UTF-8). */
  script: string;
  /** Lowercase hex sha256 of the migration.sql bytes, as Prisma records it. */
  checksum: string;
}

/** The migration history cannot be applied as it stands (modified, failed or foreign migrations). */
export class MigrationError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message, { status: 500 });
  }
}

/**
 * Prisma's checksum of a migration script: the lowercase hex sha256 of its bytes (UTF-8 for a string).
 * @example migrationChecksum('hello') // '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'
 */
export function migrationChecksum(script: string | Uint8Array): string {
  return createHash('sha256').update(script).digest('hex');
}

/**
 * Whether `script` matches a recorded checksum the way Prisma decides it: the script as is, with CRLF turned
 * into LF, or with LF turned into CRLF (git may rewrite line endings), and accepting the non-zero-padded hex an
 * old Prisma version wrote.
 * @example scriptMatchesChecksum('a\r\nb', migrationChecksum('a\nb')) // true
 */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant).digest();
    const rendered =
      checksum.length !== 64 && checksum.length > 0
        ? [...digest].map((b) => b.toString(16)).join('')
        : digest.toString('hex');
    return rendered === checksum;
  });
}

/**
 * Reads the migrations folder: every sub-folder holding a `migration.sql`, in name order. Checks
 * `migration_lock.toml` names PostgreSQL, as Prisma does.
 * @example const migrations = await listMigrations(); // [{ name: '20261125120000_init', ... }]
 */
export async function listMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const lock = await fs.readFile(path.join(dir, 'migration_lock.toml'), 'utf8').catch(() => undefined);
  if (lock !== undefined) {
    const line = lock.split('\n').find((l) => l.startsWith('provider'));
    const provider = line
      ?.replace(/^provider\s*=\s*/, '')
      .trim()
      .replace(/^"|"$/g, '');
    if (provider !== 'postgresql') {
      throw new MigrationError(
        `${path.join(dir, 'migration_lock.toml')}: provider is '${provider ?? '?'}', expected 'postgresql'`,
      );
    }
  }
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const migrations: MigrationFile[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const bytes = await fs.readFile(path.join(dir, entry.name, 'migration.sql')).catch(() => undefined);
    if (bytes === undefined) continue;
    migrations.push({ name: entry.name, script: bytes.toString('utf8'), checksum: migrationChecksum(bytes) });
  }
  return migrations;
}
