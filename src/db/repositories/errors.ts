import { AppError, ValidationError } from '../../core/errors.js';

/** Prisma's error code of a known request error (P2002 unique, P2003 foreign key, P2025 not found), if any. */
export function prismaErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' && /^P\d{4}$/.test(code) ? code : undefined;
}

/** A write that collides with an existing row. */
export class ConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message, { status: 409 });
  }
}

/**
 * A positive 32-bit integer id, or ValidationError naming `field`.
 * @example requireId(req.params.id, 'id')
 */
export function requireId(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 2_147_483_647) {
    throw new ValidationError(field, `must be an integer from 1 to 2147483647, got ${value}`);
  }
  return value;
}

/**
 * Runs `insert` (an `INSERT ... SELECT COALESCE(MAX(id), 0) + 1 ... RETURNING` of one row) until it does not
 * collide: two concurrent creates can pick the same next id, and the loser's primary-key violation retries.
 * ConflictError after 6 collisions in a row.
 * @example const row = await insertWithNextId('movie', () => db.query(sql, values).then(([r]) => r));
 */
export async function insertWithNextId<T>(what: string, insert: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const row = await insert();
      if (!row) throw new Error('INSERT ... RETURNING gave no row');
      return row;
    } catch (error) {
      const unique = prismaErrorCode(error) === 'P2002' || (error as { code?: string }).code === '23505';
      if (!unique) throw error;
      if (attempt >= 5)
        throw new ConflictError(`could not allocate a ${what} id: too many concurrent creates`);
    }
  }
}
