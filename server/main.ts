/**
 * `npm start`: the database (embedded unless DATABASE_URL), migrations, first-start accounts,
 * then the HTTP server; a graceful stop on SIGTERM/SIGINT.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createApp } from './app';
import { loadConfig } from './config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded';
import { createDb, migrate } from './db/knex';
import { forgetRunningDatabaseUrl, recordRunningDatabaseUrl } from './db/running';

async function main(): Promise<void> {
  // One failed promise somewhere must not take every user's R sessions down with the process.
  process.on('unhandledRejection', (err) => console.error('[deployr] unhandled rejection:', err));
  const config = loadConfig();
  fs.mkdirSync(config.dataDir, { recursive: true });

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    console.log(`[deployr] starting embedded PostgreSQL in ${path.join(config.dataDir, 'pg')}`);
    embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'));
    databaseUrl = embedded.url;
    recordRunningDatabaseUrl(config.dataDir, databaseUrl);
  }
  const db = createDb(databaseUrl);
  await migrate(db);

  const app = await createApp({ config, db, databaseUrl });
  const { generatedAdminPassword } = await app.services.users.ensureBootstrapUsers({
    adminPassword: config.adminPassword,
    testuserPassword: config.testuserPassword,
  });
  if (generatedAdminPassword) {
    console.log('[deployr] ------------------------------------------------------------');
    console.log(`[deployr] created user 'admin' with password: ${generatedAdminPassword}`);
    console.log('[deployr] (shown once; set DEPLOYR_ADMIN_PASSWORD or use `npm run admin` to change it)');
    console.log('[deployr] ------------------------------------------------------------');
  }

  // Start Rserve and fill the session pool now, so the first project does not wait for R.
  await app.services.engine.warmUp();

  const server = http.createServer(app.app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  console.log(`[deployr] listening on http://${config.host}:${config.port}${config.basePath}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[deployr] ${signal}: stopping (finishing in-flight calls)`);
    const force = setTimeout(() => {
      console.error('[deployr] in-flight calls did not finish in 30 s; closing connections');
      server.closeAllConnections();
    }, 30_000);
    force.unref();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await app.close();
    await db.destroy();
    if (embedded) {
      forgetRunningDatabaseUrl(config.dataDir);
      await embedded.stop();
    }
    console.log('[deployr] stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  console.error('[deployr] failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
