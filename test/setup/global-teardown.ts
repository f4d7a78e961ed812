import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const db = globalThis.__deployrTestDb;
  if (!db) return;
  await db.stop();
  fs.rmSync(db.dir, { recursive: true, force: true });
}
