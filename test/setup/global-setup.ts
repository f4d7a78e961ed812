/**
 * Starts one real PostgreSQL for the whole test run (embedded, unless TEST_DATABASE_URL or
 * DATABASE_URL names one). Each test file then makes its own database on it (test/helpers/db.ts).
 * Every run gets its own cluster directory, so concurrent runs never share a server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../server/db/embedded';

declare global {
  var __deployrTestDb: { stop(): Promise<void>; dir: string } | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deployr-test-pg-'));
  const db = await startEmbeddedPostgres(path.join(dir, 'pg'));
  process.env.TEST_DATABASE_URL = db.url;
  globalThis.__deployrTestDb = { stop: db.stop, dir };
}
