/** SQL for server-wide settings that must survive restarts. */
import type { Db } from '../server/db/knex';

export async function getSetting(db: Db, key: string): Promise<string | undefined> {
  const row = await db('settings').where({ key }).first();
  return row ? String(row.value) : undefined;
}

/** Stores a setting unless one exists; returns the stored value (first writer wins). */
export async function ensureSetting(db: Db, key: string, value: string): Promise<string> {
  await db('settings').insert({ key, value }).onConflict('key').ignore();
  return (await getSetting(db, key)) ?? value;
}
