/**
 * Starts one real PostgreSQL for the whole test run (embedded, unless TEST_DATABASE_URL or
 * DATABASE_URL names one). Each test file then makes its own database on it (test/helpers/db.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../server/db/embedded';

declare global {
  // eslint-disable-next-line no-var
  var __deployrTestDb: { stop(): Promise<void> } | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dir = path.resolve(__dirname, '../../.test-var/pg');
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const db = await startEmbeddedPostgres(dir);
  process.env.TEST_DATABASE_URL = db.url;
  globalThis.__deployrTestDb = db;
}
