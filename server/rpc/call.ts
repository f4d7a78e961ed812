/**
 * One declarative definition per API call. Route modules in routes/ are tables of these; the
 * adapter (adapter.ts) turns each into an Express handler.
 */
import type { Readable } from 'node:stream';
import type { ParamSchema, ParamValues } from './params';
import type { ResponsePayload } from './envelope';
import type { Services } from '../services';
import type { AuthenticatedUser, Role } from '../services/users';
import { DeployRError } from './errors';

/**
 * Who may call. Mandatory on every definition, so a call cannot become public by omission.
 * - 'anonymous': anyone, with or without a login (the handler sees `user` when there is one).
 * - 'authenticated': any logged-in user.
 * - a role: a logged-in user holding that role (ADMINISTRATOR holds them all).
 */
export type CsrfRule = 'required' | 'post' | 'exempt';

export type Access = 'anonymous' | 'authenticated' | Role;

/** The HTTP session as services see it: state, and the few transitions the API needs. */
export interface CallSession {
  readonly id: string | undefined;
  readonly user: AuthenticatedUser | undefined;
  readonly csrfToken: string | undefined;
  autosave: boolean;
  /** Starts an authenticated session: a new id (no fixation), the user, a new CSRF token. */
  login(user: AuthenticatedUser, options: { autosave: boolean }): Promise<string>;
  /** Ends the session and its cookie. */
  destroy(): Promise<void>;
}

export interface CallContext<S extends ParamSchema> {
  params: ParamValues<S>;
  session: CallSession;
  /** The logged-in user; set whenever access is not 'anonymous'. */
  user: AuthenticatedUser | undefined;
  services: Services;
  /** Absolute base URL of the API (`http://host:port/deployr`), for download links. */
  baseUrl: string;
  /** Resolves when the client has gone away, so long calls can stop early. */
  aborted: AbortSignal;
}

/** A binary answer (downloads): a file or stream with its content type. */
export interface DownloadResult {
  kind: 'download';
  contentType: string;
  filename?: string;
  inline?: boolean;
  length?: number;
  body: Readable | Buffer;
}

export type CallResult = ResponsePayload | DownloadResult | void;

export interface CallDefinition<S extends ParamSchema = ParamSchema> {
  /** The path under /deployr, e.g. `/r/user/login`. */
  path: string;
  access: Access;
  /**
   * When an authenticated caller must send the X-XSRF-TOKEN header:
   * - 'required': on GET and POST (calls that change state; GET must not be a way around it),
   * - 'post': on POST only (reads; the Java client reads with GET),
   * - 'exempt': never (login, which must answer 942 rather than 403 on a used session).
   */
  csrf: CsrfRule;
  params: S;
  /**
   * Parameters that may also arrive as trailing path segments, in this order (DeployR's result
   * and download URLs look like `.../result/download/PROJECT-x/EXEC-y/plot.png`).
   */
  pathParams?: readonly string[];
  /** Accepts multipart/form-data with a file part (uploads). */
  upload?: boolean;
  /** Adds the CSRF token to the response body (login/about/autosave, as DeployR does). */
  echoToken?: boolean;
  handler(ctx: CallContext<S>): Promise<CallResult>;
}

/** Keeps the parameter types flowing from `params` into `handler`. */
export function defineCall<S extends ParamSchema>(def: CallDefinition<S>): CallDefinition<S> {
  return def;
}

/**
 * The signed-in user of a call whose `access` is not 'anonymous' (the adapter has checked it;
 * this narrows the type, and refuses with 401 should a definition and its handler disagree).
 */
export function requireUser(user: AuthenticatedUser | undefined): AuthenticatedUser {
  if (!user) throw new DeployRError(401);
  return user;
}

export function isDownload(result: CallResult): result is DownloadResult {
  return !!result && (result as DownloadResult).kind === 'download';
}
