/** Errors raised by the R engine. Callers switch on `code`, never on the message. */

export type RErrorCode =
  /** R signalled an error; `message` is R's own text (from `geterrmessage()`). */
  | 'R_ERROR'
  /** The code did not parse; `message` is R's parser message. */
  | 'R_PARSE_ERROR'
  /** The evaluation was interrupted on request. */
  | 'R_INTERRUPTED'
  /** The R process died or the connection to it broke (DeployR errorCode 916). */
  | 'R_SESSION_DEAD'
  /** The session or connection was closed on purpose before the call completed. */
  | 'R_SESSION_CLOSED'
  /** The call did not complete within its timeout. */
  | 'R_TIMEOUT'
  /** No session could be had from the pool (at capacity). */
  | 'R_POOL_EXHAUSTED'
  /** Rserve refused a command (file I/O error, invalid parameter ...); see `status`. */
  | 'RSERVE_COMMAND'
  /** The connection could not be established. */
  | 'RSERVE_CONNECT'
  /** The server sent something this client cannot read. */
  | 'RSERVE_PROTOCOL';

export class RError extends Error {
  override readonly name = 'RError';
  readonly code: RErrorCode;
  /** The RESP_ERR status code, when the error came from Rserve. */
  readonly status?: number;

  constructor(code: RErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
  }
}

export function isRError(e: unknown, code?: RErrorCode): e is RError {
  return e instanceof RError && (code === undefined || e.code === code);
}
