/**
 * Turns call definitions into Express handlers: method check, parameters, who may call, CSRF,
 * the handler, and the envelope (or a download). Nothing a handler throws reaches the client as
 * a stack trace: DeployRErrors become their envelope, anything else a logged 900.
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import multer from 'multer';
import type { Services } from '../services';
import { hasRole } from '../services/users';
import { callSessionOf, SESSION_COOKIE } from '../http/session';
import type { CallDefinition, CallResult } from './call';
import { isDownload } from './call';
import { CSRF_HEADER, csrfMatches } from './csrf';
import { buildResponse, render, type Format, type ResponsePayload } from './envelope';
import { DeployRError } from './errors';
import { flattenFields, parseParams, type ParamSchema, type UploadedFile } from './params';

const ALLOWED_METHODS = new Set(['GET', 'POST']);

export interface AdapterOptions {
  services: Services;
  uploadDir: string;
  log: (message: string, err?: unknown) => void;
}

function formatOf(req: Request): Format {
  const raw = (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>).format : undefined) ?? req.query.format;
  return raw === 'xml' ? 'xml' : 'json';
}

/** Writes an envelope; also used for failures that happen before a call is known. */
export function sendEnvelope(req: Request, res: Response, call: string, outcome: { payload?: ResponsePayload; error?: DeployRError; csrfToken?: string }): void {
  const response = buildResponse({
    call,
    success: !outcome.error,
    payload: outcome.payload ?? outcome.error?.payload,
    error: outcome.error?.message,
    errorCode: outcome.error?.envelopeCode,
    csrfToken: outcome.csrfToken,
  });
  const { body, contentType } = render(formatOf(req), response);
  const token = req.session?.user ? req.session.csrfToken : undefined;
  if (token) res.setHeader(CSRF_HEADER, token);
  res.status(outcome.error?.httpStatus ?? 200).type(contentType).send(body);
}

function uploadedFiles(req: Request): Record<string, UploadedFile> {
  const out: Record<string, UploadedFile> = {};
  const files = (req.files ?? []) as Express.Multer.File[];
  for (const f of files) {
    if (out[f.fieldname]) continue;
    out[f.fieldname] = { path: f.path, originalName: f.originalname, size: f.size, mimeType: f.mimetype };
  }
  return out;
}

function removeUploads(req: Request): void {
  for (const f of (req.files ?? []) as Express.Multer.File[]) fs.rm(f.path, { force: true }, () => {});
}

function checkAccess(def: CallDefinition, req: Request): void {
  const user = req.session?.user;
  if (def.access !== 'anonymous') {
    if (!user) throw new DeployRError(401);
    if (def.access !== 'authenticated' && !hasRole(user, def.access)) throw new DeployRError(401);
  }
  if (user && def.csrf !== 'exempt' && (req.method === 'POST' || def.csrf === 'required')) {
    if (!csrfMatches(req.session.csrfToken, req.get(CSRF_HEADER) ?? undefined)) throw new DeployRError(403);
  }
}

function sendDownload(res: Response, result: Extract<CallResult, { kind: 'download' }>, token: string | undefined): void {
  if (token) res.setHeader(CSRF_HEADER, token);
  res.status(200).type(result.contentType);
  if (result.length !== undefined) res.setHeader('Content-Length', String(result.length));
  if (result.filename) {
    res.setHeader('Content-Disposition', `${result.inline ? 'inline' : 'attachment'}; filename="${result.filename.replace(/["\\\r\n]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(result.filename)}`);
  }
  if (Buffer.isBuffer(result.body)) {
    res.end(result.body);
    return;
  }
  const body = result.body;
  body.on('error', () => res.destroy());
  res.on('close', () => body.destroy());
  body.pipe(res);
}

export function adapt<S extends ParamSchema>(def: CallDefinition<S>, opts: AdapterOptions): RequestHandler {
  return async (req, res) => {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
      removeUploads(req);
    });
    try {
      if (!ALLOWED_METHODS.has(req.method)) throw new DeployRError(405);
      checkAccess(def as CallDefinition, req);
      const fields = flattenFields(req.query, req.body, req.params);
      const params = parseParams(def.params, { fields, files: uploadedFiles(req) });
      const session = callSessionOf(req);
      const result = await def.handler({
        params,
        session,
        user: req.session?.user,
        services: opts.services,
        baseUrl: `${req.protocol}://${req.get('host') ?? 'localhost'}${opts.services.config.basePath}`,
        aborted: controller.signal,
      });
      if (res.headersSent) return;
      if (!req.session) res.clearCookie(SESSION_COOKIE, { path: opts.services.config.basePath });
      const token = req.session?.user ? req.session.csrfToken : undefined;
      if (isDownload(result)) {
        sendDownload(res, result, token);
        return;
      }
      sendEnvelope(req, res, def.path, { payload: result ?? undefined, csrfToken: def.echoToken ? token : undefined });
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const error = err instanceof DeployRError ? err : internalError(err, def.path, opts);
      sendEnvelope(req, res, def.path, { error });
    }
  };
}

function internalError(err: unknown, call: string, opts: AdapterOptions): DeployRError {
  const ref = crypto.randomBytes(4).toString('hex');
  opts.log(`call ${call} failed (ref ${ref})`, err);
  return new DeployRError(900, `General Server Error: runtime error (ref ${ref}).`);
}

/** Body parsers for every call: urlencoded and multipart (files streamed to disk, size-limited). */
export function bodyParsers(opts: { uploadDir: string; maxFileUploadSize: number; maxRequestSize: number }): RequestHandler[] {
  fs.mkdirSync(opts.uploadDir, { recursive: true });
  const upload = multer({
    storage: multer.diskStorage({
      destination: opts.uploadDir,
      filename: (_req, _file, cb) => cb(null, crypto.randomUUID()),
    }),
    limits: { fileSize: opts.maxFileUploadSize, fieldSize: opts.maxRequestSize, files: 16 },
  }).any();
  return [express.urlencoded({ extended: false, limit: opts.maxRequestSize, parameterLimit: 10000 }), upload].map(asBadRequest);
}

/** Whatever a body parser rejects is the client's bad request (a 400 envelope), never a 900. */
function asBadRequest(parser: RequestHandler): RequestHandler {
  return (req, res, next) =>
    parser(req, res, (err?: unknown) => {
      if (!err) return next();
      const e = err as { code?: string; type?: string; message?: string };
      if (e.code === 'LIMIT_FILE_SIZE') return next(new DeployRError(413, 'Bad Request: upload exceeds the maximum file upload size'));
      if (e.type === 'entity.too.large' || e.code === 'LIMIT_FIELD_VALUE') return next(new DeployRError(400, 'Bad Request: request is too large'));
      next(new DeployRError(400, `Bad Request: invalid data on call (${e.message ?? 'unreadable body'})`));
    });
}

/** Registers every definition on the router under its path. */
export function mount(router: Router, defs: readonly CallDefinition[], opts: AdapterOptions): void {
  const seen = new Set<string>();
  for (const def of defs) {
    if (seen.has(def.path)) throw new Error(`call ${def.path} is defined twice`);
    if (!def.access || !def.csrf) throw new Error(`call ${def.path} must declare access and csrf`);
    seen.add(def.path);
    const handler = adapt(def, opts);
    router.all(def.path, handler);
    const segments = def.pathParams ?? [];
    for (let n = 1; n <= segments.length; n++) {
      router.all(`${def.path}/${segments.slice(0, n).map((p) => `:${p}`).join('/')}`, handler);
    }
  }
}

export function uploadDirOf(dataDir: string): string {
  return path.join(dataDir, 'tmp', 'uploads');
}
