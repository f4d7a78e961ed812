/**
 * Every error a call can answer with, in one catalogue with DeployR's own wording.
 *
 * Two kinds: HTTP-level failures (the status code is the signal: 400, 401, 403, 405, 409, 503)
 * and call failures (HTTP 200, `success:false`, an `errorCode` of 900, 910-917 or 940-945).
 */
import type { ResponsePayload } from './envelope';

export type HttpErrorCode = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 503;
export type CallErrorCode =
  | 900
  | 910 | 911 | 912 | 913 | 914 | 915 | 916 | 917
  | 940 | 941 | 942 | 943 | 944 | 945;
export type ErrorCode = HttpErrorCode | CallErrorCode;

/** DeployR's descriptions (API overview, "API Response Code Overview"). */
export const ERROR_CATALOGUE: Record<ErrorCode, string> = {
  400: 'Bad Request: invalid data on call',
  401: 'Unauthorized Access: caller has insufficient privileges',
  403: 'Forbidden Access: caller is unauthorized',
  404: 'Not Found: no such call on the API',
  405: 'HTTP Method Disallowed: disallowed HTTP method on call',
  409: 'Conflict: project is currently busy on call, concurrent call rejected',
  413: 'Bad Request: upload exceeds the maximum file upload size',
  503: 'Service Temporarily Unavailable: HTTP session temporarily invalidated',
  900: 'General Server Error: runtime error.',
  910: 'Grid Resource Error: maximum number of concurrent live projects exceeded for authenticated user',
  911: 'Grid Resource Error: maximum number of concurrent live projects exceeded for anonymous user',
  912: 'Grid Resource Error: maximum number of concurrent live jobs exceeded for authenticated user',
  913: 'Grid Resource Error: grid resources temporarily at exhaustion.',
  914: 'Grid Resource Error: grid runtime boundary limit exceeded.',
  915: 'Grid Resource Error: grid node unresponsive.',
  916: 'Grid Resource Error: grid node R session unresponsive.',
  917: 'Grid Resource Error: grid node version incompatible with server.',
  940: 'Authentication Error: username/password credentials provided are invalid.',
  941: 'Authentication Error: user has insufficient privileges to log in on the API.',
  942: 'Authentication Error: another user has already authenticated on the current HTTP session.',
  943: 'Authentication Error: user account has been disabled by the system administrator',
  944: 'Authentication Error: user account has been temporarily locked by the system administrator',
  945: 'Authentication Error: user account password has expired, requires reset',
};

const HTTP_CODES: ReadonlySet<number> = new Set([400, 401, 403, 404, 405, 409, 413, 503]);

export function isHttpErrorCode(code: ErrorCode): code is HttpErrorCode {
  return HTTP_CODES.has(code);
}

/**
 * A failure a call reports to its client. Services throw it; the adapter renders it.
 * `message` defaults to the catalogue text; give a specific one when it helps the caller.
 */
export class DeployRError extends Error {
  readonly code: ErrorCode;
  /**
   * Data reported beside the error (an execution that failed in R still shows its project,
   * console and results, as DeployR did).
   */
  readonly payload: ResponsePayload | undefined;
  constructor(code: ErrorCode, message?: string, payload?: ResponsePayload) {
    super(message ?? ERROR_CATALOGUE[code]);
    this.code = code;
    this.payload = payload;
    this.name = 'DeployRError';
  }
  get httpStatus(): number {
    return isHttpErrorCode(this.code) ? (this.code === 413 ? 400 : this.code) : 200;
  }
  /** The errorCode reported in the envelope (a 413 is reported as DeployR's 400). */
  get envelopeCode(): number {
    return this.code === 413 ? 400 : this.code;
  }
}

/** Shorthands for the common cases, so call sites read as intent. */
export const badRequest = (message?: string): DeployRError => new DeployRError(400, message);
export const runtimeError = (message?: string): DeployRError => new DeployRError(900, message);
export const unauthorized = (message?: string): DeployRError => new DeployRError(401, message);
