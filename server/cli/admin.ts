#!/usr/bin/env node
/**
 * deployr-admin: user administration from the shell. Uses DATABASE_URL, else the embedded
 * database of DEPLOYR_DATA_DIR (the running server's, or started for the duration).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded';
import { createDb, migrate } from '../db/knex';
import { UserService } from '../services/users';
import { DeployRError } from '../rpc/errors';
import { runAdminCommand, UsageError, USAGE } from './admin-commands';
import { readRunningDatabaseUrl } from '../db/running';

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  let url = config.databaseUrl ?? (await readRunningDatabaseUrl(config.dataDir));
  if (!url) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    embedded = await startEmbeddedPostgres(path.join(config.dataDir, 'pg'));
    url = embedded.url;
  }
  const db = createDb(url, { min: 0, max: 2 });
  try {
    await migrate(db);
    const users = new UserService(db, { lockoutAttempts: config.lockoutAttempts, lockoutMinutes: config.lockoutMinutes });
    await runAdminCommand(users, argv, {
      out: (line) => console.log(line),
      readStdin: () => new Promise((resolve) => {
        let data = '';
        process.stdin.setEncoding('utf8');
        process.stdin.on('data', (c) => (data += c));
        process.stdin.on('end', () => resolve(data));
      }),
    });
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`deployr-admin: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof DeployRError) {
      console.error(`deployr-admin: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    await db.destroy();
    if (embedded) await embedded.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error('deployr-admin:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
