/** A fresh, migrated database per test file, on the PostgreSQL the global setup started. */
import crypto from 'node:crypto';
import { Client } from 'pg';
import { createDb, migrate, type Db } from '../../server/db/knex';

export interface TestDatabase {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set (the jest global setup starts PostgreSQL)');
  const name = `deployr_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(base, name);
  const db = createDb(url, { min: 0, max: 10 });
  await migrate(db);
  return {
    db,
    url,
    async drop() {
      await db.destroy();
      const c = new Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
