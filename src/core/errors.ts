/**
 * The typed errors of every layer. Each carries a stable `code`; the CLI maps codes to exit codes and the API
 * to HTTP statuses in one place each. Messages are built in the constructors so they read the same everywhere.
 */
export type ErrorCode =
  | 'DATA_FORMAT'
  | 'DOWNLOAD'
  | 'CHECKSUM'
  | 'NOT_FOUND'
  | 'VALIDATION'
  | 'ARTIFACT_INTEGRITY'
  | 'NOT_SUPPORTED'
  | 'CONFIG'
  | 'UNAUTHORIZED'
  | 'CONFLICT'
  | 'MODEL_NOT_LOADED'
  | 'PAYLOAD_TOO_LARGE'
  | 'BACKEND'
  | 'CANCELLED'
  | 'NOT_FITTED'
  | 'INTERNAL';

/** Base class of every error the project raises on purpose. */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** HTTP status the API maps this error to. */
  readonly status: number;
  /** The request field or input that is wrong, where there is one. */
  readonly field: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { status?: number; field?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.field = options.field;
  }
}

/**
 * A malformed line in a data file.
 * @example throw new DataFormatError('u.data', 12, 'expected 4 fields, found 3')
 */
export class DataFormatError extends AppError {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  constructor(file: string, line: number, reason: string) {
    super('DATA_FORMAT', `${file}:${line}: ${reason}`, { status: 422 });
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** A download that failed (HTTP status, connection, retries exhausted). */
export class DownloadError extends AppError {
  constructor(url: string, reason: string, cause?: unknown) {
    super('DOWNLOAD', `download of ${url} failed: ${reason}`, { status: 502, cause });
  }
}

/** Bytes whose digest is not the one published. */
export class ChecksumError extends AppError {
  constructor(what: string, expected: string, actual: string) {
    super('CHECKSUM', `checksum mismatch for ${what}: expected ${expected}, got ${actual}`, { status: 502 });
  }
}

/** Something asked for by id or name that does not exist. */
export class NotFoundError extends AppError {
  constructor(what: string, id: string | number) {
    super('NOT_FOUND', `${what} ${id} not found`, { status: 404 });
  }
}

/** Input that breaks a rule; `field` names the offending input. */
export class ValidationError extends AppError {
  constructor(field: string, message: string) {
    super('VALIDATION', `${field}: ${message}`, { status: 400, field });
  }
}

/** Invalid configuration (environment variable or flag). */
export class ConfigError extends AppError {
  constructor(field: string, message: string) {
    super('CONFIG', `config ${field}: ${message}`, { status: 500, field });
  }
}

/** An artifact whose files do not match its manifest, or that cannot be read. */
export class ArtifactIntegrityError extends AppError {
  constructor(path: string, reason: string) {
    super('ARTIFACT_INTEGRITY', `artifact ${path} is not intact: ${reason}`, { status: 500 });
  }
}

/** A model asked to do something it cannot do. */
export class NotSupportedError extends AppError {
  constructor(model: string, method: string) {
    super('NOT_SUPPORTED', `${model} does not support ${method}`, { status: 501 });
  }
}

/** No TensorFlow.js backend could be loaded. */
export class BackendError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('BACKEND', message, { status: 500, cause });
  }
}

/** Work stopped because the caller asked (AbortSignal). */
export class CancelledError extends AppError {
  constructor(what: string) {
    super('CANCELLED', `${what} was cancelled`, { status: 499 });
  }
}

/**
 * A model used before it was fitted or loaded (a programming error in the caller, so a 500 if it ever
 * reaches the API).
 * @example throw new NotFittedError('als', 'recommend');
 */
export class NotFittedError extends AppError {
  constructor(model: string, method: string) {
    super('NOT_FITTED', `${model} model is not fitted: call fit() or load an artifact before ${method}()`, {
      status: 500,
    });
  }
}

/** Process exit codes per error code, for the CLI. */
export const EXIT_CODES: Record<ErrorCode, number> = {
  DATA_FORMAT: 65,
  DOWNLOAD: 69,
  CHECKSUM: 69,
  NOT_FOUND: 66,
  VALIDATION: 64,
  ARTIFACT_INTEGRITY: 65,
  NOT_SUPPORTED: 64,
  CONFIG: 78,
  UNAUTHORIZED: 77,
  CONFLICT: 75,
  MODEL_NOT_LOADED: 69,
  PAYLOAD_TOO_LARGE: 64,
  BACKEND: 70,
  CANCELLED: 130,
  NOT_FITTED: 70,
  INTERNAL: 70,
};
