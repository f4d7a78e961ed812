/**
 * Assembles the Express app in one readable order: proxy trust, CORS, the Java client's
 * `;jsessionid=`, sessions, body parsers, the calls, then the envelope for unknown calls and
 * for anything that failed before a call ran.
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { Pool } from 'pg';
import { allCalls } from '../routes';
import type { Config } from './config';
import type { Db } from './db/knex';
import { cors } from './http/cors';
import { jsessionidPathParameter, sessionMiddleware } from './http/session';
import { bodyParsers, mount, sendEnvelope, uploadDirOf } from './rpc/adapter';
import { DeployRError } from './rpc/errors';
import { createServices, type Services } from './services';
import { ensureSetting } from '../models/settings';
import crypto from 'node:crypto';

export interface App {
  app: Express;
  services: Services;
  close(): Promise<void>;
}

export interface AppOptions {
  config: Config;
  db: Db;
  databaseUrl: string;
  log?: (message: string, err?: unknown) => void;
}

function defaultLog(message: string, err?: unknown): void {
  if (err) console.error(`[deployr] ${message}:`, err instanceof Error ? err.stack : err);
  else console.log(`[deployr] ${message}`);
}

export async function createApp(opts: AppOptions): Promise<App> {
  const { config, db } = opts;
  const log = opts.log ?? defaultLog;
  const services = createServices(config, db, log);
  services.projects.startSweeper();
  const sessionPool = new Pool({ connectionString: opts.databaseUrl, max: 10 });
  sessionPool.on('error', (err) => log('session pool error', err));
  // Kept in the database so sessions survive restarts and are shared by several processes.
  const secret = await ensureSetting(db, 'session_secret', crypto.randomBytes(32).toString('hex'));
  const { middleware: session, store: sessionStore } = sessionMiddleware(config, sessionPool, secret);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);
  if (config.corsOrigins.length > 0) app.use(config.basePath, cors(config.corsOrigins));

  const api = express.Router();
  // Repository downloads are user content served from the API's origin: never let a browser sniff it into HTML.
  api.use((_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });
  api.use(jsessionidPathParameter);
  api.use(session);
  api.use(...bodyParsers({ uploadDir: uploadDirOf(config.dataDir), maxFileUploadSize: config.limits.maxFileUploadSize, maxRequestSize: config.maxRequestSize }));
  const calls = express.Router();
  mount(calls, allCalls, { services, uploadDir: uploadDirOf(config.dataDir), log });
  api.use(calls);
  api.use('/r', unknownCall);
  api.use(failedBeforeCall(log));
  app.use(config.basePath, api);
  app.use(failedBeforeCall(log));

  return {
    app,
    services,
    async close() {
      // The engine first: releasing the projects' sessions must not refill a pool that is going away.
      await services.engine.stop();
      await services.projects.stop();
      sessionStore.close();
      await sessionPool.end();
    },
  };
}

const unknownCall: RequestHandler = (req, res) => {
  sendEnvelope(req, res, `/r${req.path}`, { error: new DeployRError(404, `Not Found: no such call on the API: /r${req.path}`) });
};

/** Body-parser and upload failures: a 400 envelope, never Express's HTML page. */
function failedBeforeCall(log: (message: string, err?: unknown) => void): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let error: DeployRError;
    if (err instanceof DeployRError) error = err;
    else {
      log(`request ${req.method} ${req.originalUrl} failed`, err);
      error = new DeployRError(900);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendEnvelope(req, res, req.path.startsWith('/r/') ? req.path : req.originalUrl.replace(/^\/deployr/, '').split('?')[0], { error });
  };
}
