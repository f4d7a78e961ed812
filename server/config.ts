/**
 * Configuration from environment variables (all documented in the README). `npm start` must
 * come up with none of them set.
 */
import path from 'node:path';

export interface Limits {
  /** Seconds a live project may sit idle before the server reclaims it. */
  maxIdleLiveProjectTimeout: number;
  /** Live projects one user may hold at once. */
  maxConcurrentLiveProjectCount: number;
  /** Largest upload accepted, in bytes. */
  maxFileUploadSize: number;
}

export interface Config {
  port: number;
  host: string;
  /** URL prefix of the API. */
  basePath: string;
  dataDir: string;
  databaseUrl: string | undefined;
  rserveHost: string | undefined;
  rservePort: number;
  adminPassword: string | undefined;
  testuserPassword: string | undefined;
  limits: Limits;
  /** Idle minutes before an HTTP session expires. */
  sessionTimeoutMinutes: number;
  /** Failed logins before an account locks, and for how long. */
  lockoutAttempts: number;
  lockoutMinutes: number;
  /** Largest urlencoded request body (inputs can be large). */
  maxRequestSize: number;
  /** Origins allowed to call with credentials (CORS); empty means CORS is off. */
  corsOrigins: string[];
  /** SameSite for the session cookie; `none` implies Secure. */
  cookieSameSite: 'lax' | 'strict' | 'none';
  cookieSecure: boolean;
  /** File transfers from URLs may not reach loopback or private networks. */
  transferDenyPrivate: boolean;
  /** Trust X-Forwarded-* from a reverse proxy. */
  trustProxy: boolean;
  /** Pool of pre-started R sessions. */
  rPoolMin: number;
  rPoolMax: number;
  logLevel: 'silent' | 'info';
  /** The external repository's base directory (read-only files on disk, DeployR 7.4+). */
  externalRepositoryDir: string;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min} (got '${raw}')`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  return /^(1|true|yes|on)$/i.test(raw);
}

export function loadConfig(env: Env = process.env): Config {
  const sameSite = (env.DEPLOYR_COOKIE_SAMESITE ?? 'lax').toLowerCase();
  if (sameSite !== 'lax' && sameSite !== 'strict' && sameSite !== 'none') {
    throw new Error(`DEPLOYR_COOKIE_SAMESITE must be lax, strict or none (got '${sameSite}')`);
  }
  return {
    port: int(env, 'PORT', 8050),
    host: env.HOST || '0.0.0.0',
    basePath: '/deployr',
    dataDir: path.resolve(env.DEPLOYR_DATA_DIR || './var'),
    databaseUrl: env.DATABASE_URL || undefined,
    rserveHost: env.RSERVE_HOST || undefined,
    rservePort: int(env, 'RSERVE_PORT', 6311, 1),
    adminPassword: env.DEPLOYR_ADMIN_PASSWORD || undefined,
    testuserPassword: env.DEPLOYR_TESTUSER_PASSWORD || undefined,
    limits: {
      maxIdleLiveProjectTimeout: int(env, 'DEPLOYR_MAX_IDLE_LIVE_PROJECT_TIMEOUT', 1800, 1),
      maxConcurrentLiveProjectCount: int(env, 'DEPLOYR_MAX_CONCURRENT_LIVE_PROJECT_COUNT', 170, 1),
      maxFileUploadSize: int(env, 'DEPLOYR_MAX_FILE_UPLOAD_SIZE', 268435456, 1),
    },
    sessionTimeoutMinutes: int(env, 'DEPLOYR_SESSION_TIMEOUT_MINUTES', 30, 1),
    lockoutAttempts: int(env, 'DEPLOYR_LOCKOUT_ATTEMPTS', 10, 1),
    lockoutMinutes: int(env, 'DEPLOYR_LOCKOUT_MINUTES', 30, 1),
    maxRequestSize: int(env, 'DEPLOYR_MAX_REQUEST_SIZE', 64 * 1024 * 1024, 1024),
    corsOrigins: (env.DEPLOYR_CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    cookieSameSite: sameSite,
    cookieSecure: sameSite === 'none' || bool(env, 'DEPLOYR_COOKIE_SECURE', false),
    trustProxy: bool(env, 'DEPLOYR_TRUST_PROXY', false),
    transferDenyPrivate: bool(env, 'DEPLOYR_TRANSFER_DENY_PRIVATE', false),
    rPoolMin: int(env, 'DEPLOYR_R_POOL_MIN', 2),
    rPoolMax: int(env, 'DEPLOYR_R_POOL_MAX', 64, 1),
    logLevel: env.DEPLOYR_LOG === 'silent' ? 'silent' : 'info',
    externalRepositoryDir: path.resolve(env.DEPLOYR_EXTERNAL_REPOSITORY || path.join(env.DEPLOYR_DATA_DIR || './var', 'external', 'repository')),
  };
}
