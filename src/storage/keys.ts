import { ValidationError } from '../core/errors.js';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Checks a store key: relative POSIX path segments of letters, digits, `.`, `_`, `-`, none hidden (a leading
 * `.` is reserved for staging areas), no `..`. Returns the key without a trailing `/`. `''` is the root.
 * @example normalizeKey('als/20261125T101500123Z-1a2b3c4d/model.json');
 */
export function normalizeKey(key: string, field = 'key'): string {
  const trimmed = key.replace(/\/+$/, '');
  if (trimmed === '') return '';
  for (const segment of trimmed.split('/')) {
    if (!SEGMENT.test(segment)) {
      throw new ValidationError(field, `'${key}' is not a valid store key (segment '${segment}')`);
    }
  }
  return trimmed;
}

/** Joins key segments with `/`, skipping empty ones. */
export function joinKey(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}
