import { AppError } from '../core/errors.js';

/**
 * The API layer's own errors. Each has a stable code and a status; the error middleware maps every AppError
 * the same way, so these only add the HTTP-specific cases the lower layers never raise.
 */

/** A write without a valid bearer token. The message never says which part was wrong. */
export class UnauthorizedError extends AppError {
  constructor() {
    super('UNAUTHORIZED', 'a valid "Authorization: Bearer <token>" header is required', { status: 401 });
  }
}

/** A request body over the size limit. */
export class PayloadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super('PAYLOAD_TOO_LARGE', `request body exceeds ${limitBytes} bytes`, { status: 413 });
  }
}

/** No route matches the path. */
export class RouteNotFoundError extends AppError {
  constructor(method: string, path: string) {
    super('NOT_FOUND', `no route ${method} ${path}`, { status: 404 });
  }
}

/** The path exists but not with this method; `allowed` goes out as the `Allow` header. */
export class MethodNotAllowedError extends AppError {
  constructor(
    method: string,
    path: string,
    readonly allowed: readonly string[] = [],
  ) {
    super('NOT_SUPPORTED', `${method} is not allowed on ${path}`, { status: 405 });
  }
}
