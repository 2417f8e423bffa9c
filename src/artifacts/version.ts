import { ValidationError } from '../core/errors.js';
import { MODEL_KINDS, type ModelKind } from '../core/types.js';
import { VERSION_PATTERN } from './format.js';

/**
 * A version name that sorts by time: UTC to the millisecond, then 8 hex digits of the content hash, so two
 * models saved in the same millisecond still get different names.
 * @example versionName(new Date('2026-11-25T10:15:00.123Z'), '1a2b3c4d...') // '20261125T101500123Z-1a2b3c4d'
 */
export function versionName(at: Date, sha256Hex: string): string {
  const iso = at.toISOString(); // 2026-11-25T10:15:00.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
  return `${stamp}-${sha256Hex.slice(0, 8)}`;
}

/** Throws ValidationError unless `version` is a version name. */
export function checkVersion(version: string): string {
  if (!VERSION_PATTERN.test(version)) {
    throw new ValidationError(
      'version',
      `'${version}' is not an artifact version (like 20261125T101500123Z-1a2b3c4d)`,
    );
  }
  return version;
}

/** Throws ValidationError unless `kind` is a model kind. */
export function checkKind(kind: string): ModelKind {
  if (!(MODEL_KINDS as readonly string[]).includes(kind)) {
    throw new ValidationError('model', `'${kind}' is not a model kind (${MODEL_KINDS.join(', ')})`);
  }
  return kind as ModelKind;
}
