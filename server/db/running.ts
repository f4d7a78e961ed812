/**
 * While the server runs on the embedded database it records the database URL in the data
 * directory (mode 0600), so `deployr-admin` can reach it instead of starting a second server.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

const FILE = 'database.url';

export function recordRunningDatabaseUrl(dataDir: string, url: string): void {
  fs.writeFileSync(path.join(dataDir, FILE), url, { mode: 0o600 });
}

export function forgetRunningDatabaseUrl(dataDir: string): void {
  fs.rmSync(path.join(dataDir, FILE), { force: true });
}

/** The recorded URL when that database answers, else undefined. */
export async function readRunningDatabaseUrl(dataDir: string): Promise<string | undefined> {
  let url: string;
  try {
    url = fs.readFileSync(path.join(dataDir, FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}
