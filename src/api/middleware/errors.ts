import type { Context } from 'koa';
import { AppError, type ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { MethodNotAllowedError } from '../errors.js';

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

// 5xx answers say what kind of failure it was, never the internal message (paths, SQL, stack).
const PUBLIC_5XX: Partial<Record<ErrorCode, string>> = {
  MODEL_NOT_LOADED: 'no model is loaded yet; try again shortly',
  NOT_SUPPORTED: 'not supported by the loaded model',
};

// Errors thrown by Koa and its body parser carry an HTTP status but are not AppErrors.
interface HttpLikeError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  type?: string;
  message?: string;
}

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  405: 'NOT_SUPPORTED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'VALIDATION',
  501: 'NOT_SUPPORTED',
  503: 'MODEL_NOT_LOADED',
};

/** Maps any thrown value to the status and body the client sees. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    const status = error.status >= 400 && error.status <= 599 ? error.status : 500;
    const message = status < 500 ? error.message : (PUBLIC_5XX[error.code] ?? 'internal server error');
    const body: ErrorBody = { error: { code: error.code, message } };
    if (error.field !== undefined && status < 500) body.error.field = error.field;
    return { status, body };
  }
  const http = (typeof error === 'object' && error !== null ? error : {}) as HttpLikeError;
  const status = http.status ?? http.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'VALIDATION';
    // The body parser's 400s (bad JSON) and 415s concern the body as a whole.
    const field = status === 400 || status === 415 ? 'body' : undefined;
    // co-body rethrows JSON.parse's SyntaxError with status 400.
    const message =
      status === 400 && (error instanceof SyntaxError || http.type === 'entity.parse.failed')
        ? 'request body is not valid JSON'
        : http.expose && http.message
          ? http.message
          : 'bad request';
    return { status, body: { error: { code, message, ...(field ? { field } : {}) } } };
  }
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'internal server error' } } };
}

/**
 * Answers a failed request: `{"error":{"code","message","field"?}}` with the error's status (plus
 * `WWW-Authenticate` on 401 and `Allow` on 405). 5xx errors are logged with their stack and the request id;
 * their messages are not sent to the client. The request-context middleware calls it for every error thrown
 * below it.
 * @example try { await next(); } catch (error) { respondWithError(ctx, error, logger); }
 */
export function respondWithError(ctx: Context, error: unknown, logger: Logger): void {
  const { status, body } = toErrorResponse(error);
  if (status >= 500) {
    logger.error('request failed', {
      requestId: ctx.state.requestId,
      method: ctx.method,
      path: ctx.path,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
  ctx.status = status;
  ctx.type = 'application/json';
  ctx.body = body;
  if (status === 401) ctx.set('WWW-Authenticate', 'Bearer');
  if (error instanceof MethodNotAllowedError && error.allowed.length > 0) {
    ctx.set('Allow', error.allowed.join(', '));
  }
}
