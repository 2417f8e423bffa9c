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
