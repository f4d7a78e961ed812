/**
 * HTTP sessions: express-session with the PostgreSQL store, one cookie `JSESSIONID` on
 * `/deployr`, created only when a call stores something (login), never rotated after login.
 */
import type { RequestHandler, Request } from 'express';
import session from 'express-session';
import connectPgSimple from 'connect-pg-simple';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { CallSession } from '../rpc/call';
import { newCsrfToken } from '../rpc/csrf';
import type { AuthenticatedUser } from '../services/users';

export const SESSION_COOKIE = 'JSESSIONID';

declare module 'express-session' {
  interface SessionData {
    user: AuthenticatedUser;
    csrfToken: string;
    autosave: boolean;
  }
}

export function sessionMiddleware(config: Config, pool: Pool, secret: string): { middleware: RequestHandler; store: session.Store & { close(): void } } {
  const PgStore = throttledTouch(connectPgSimple(session), TOUCH_INTERVAL_MS);
  const store = new PgStore({
    pool,
    tableName: 'http_sessions',
    createTableIfMissing: false,
    ttl: config.sessionTimeoutMinutes * 60,
    // Expired rows are pruned by the store; live projects bound to them by the session sweeper.
    pruneSessionInterval: 60,
    errorLog: (...args: unknown[]) => console.error('[session store]', ...args),
  });
  const middleware = session({
    name: SESSION_COOKIE,
    secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: config.trustProxy,
    cookie: {
      path: config.basePath,
      httpOnly: true,
      sameSite: config.cookieSameSite,
      secure: config.cookieSecure,
    },
  });
  return { middleware, store };
}

/**
 * Sliding expiry writes the session row on every request. Touching at most once a minute per
 * session keeps that write off the hot path; a session may then expire up to a minute earlier
 * than its full idle timeout after its last call.
 */
const TOUCH_INTERVAL_MS = 60_000;

type StoreClass = ReturnType<typeof connectPgSimple>;

function throttledTouch(Base: StoreClass, intervalMs: number): StoreClass {
  const lastTouch = new Map<string, number>();
  class ThrottledStore extends Base {
    override touch(sid: string, sess: session.SessionData, fn?: (err?: unknown) => void): void {
      const now = Date.now();
      if (now - (lastTouch.get(sid) ?? 0) < intervalMs) {
        fn?.();
        return;
      }
      if (lastTouch.size > 100_000) {
        for (const [k, t] of lastTouch) if (now - t >= intervalMs) lastTouch.delete(k);
      }
      lastTouch.set(sid, now);
      super.touch(sid, sess, fn);
    }
    override destroy(sid: string, fn?: (err?: unknown) => void): void {
      lastTouch.delete(sid);
      super.destroy(sid, fn);
    }
  }
  return ThrottledStore;
}

/**
 * The Java client appends `;jsessionid=X` to download URLs instead of sending the cookie.
 * Strip it from the path and, when no cookie came, present it as the session cookie.
 */
export const jsessionidPathParameter: RequestHandler = (req, _res, next) => {
  const match = /;jsessionid=([^?/;]*)/i.exec(req.url);
  if (match) {
    req.url = req.url.replace(match[0], '');
    const hasCookie = /(?:^|;\s*)JSESSIONID=/.test(req.headers.cookie ?? '');
    if (!hasCookie && match[1]) {
      req.headers.cookie = `${SESSION_COOKIE}=${match[1]}` + (req.headers.cookie ? `; ${req.headers.cookie}` : '');
    }
  }
  next();
};

function promisify(fn: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}

/** The express session seen through the CallSession interface services use. */
export function callSessionOf(req: Request): CallSession {
  return {
    get id() {
      return req.session?.user ? req.sessionID : undefined;
    },
    get user() {
      return req.session?.user;
    },
    get csrfToken() {
      return req.session?.csrfToken;
    },
    get autosave() {
      return req.session?.autosave ?? true;
    },
    set autosave(value: boolean) {
      req.session.autosave = value;
    },
    async login(user, options) {
      if (req.session.user) {
        // Already this user's session: keep the id and the token (never rotate after login).
        return req.session.csrfToken ?? '';
      }
      // A fresh id at login defeats session fixation.
      await promisify((cb) => req.session.regenerate(cb));
      req.session.user = user;
      req.session.csrfToken = newCsrfToken();
      req.session.autosave = options.autosave;
      await promisify((cb) => req.session.save(cb));
      return req.session.csrfToken;
    },
    async destroy() {
      await promisify((cb) => req.session.destroy(cb));
    },
  };
}
