/** SQL for users. */
import type { Db } from '../server/db/knex';

export interface UserRow {
  id: string;
  username: string;
  displayname: string;
  password_hash: string;
  roles: string[];
  enabled: boolean;
  failed_logins: number;
  locked_until: Date | null;
  password_expires_at: Date | null;
  cookie: string | null;
  created_at: Date;
  updated_at: Date;
}

export type NewUser = Pick<UserRow, 'username' | 'displayname' | 'password_hash' | 'roles'> &
  Partial<Pick<UserRow, 'enabled' | 'password_expires_at'>>;

export type UserUpdate = Partial<
  Pick<UserRow, 'displayname' | 'password_hash' | 'roles' | 'enabled' | 'failed_logins' | 'locked_until' | 'password_expires_at' | 'cookie'>
>;

export function findByUsername(db: Db, username: string): Promise<UserRow | undefined> {
  return db<UserRow>('users').where({ username }).first();
}

export function findById(db: Db, id: string): Promise<UserRow | undefined> {
  return db<UserRow>('users').where({ id }).first();
}

export async function insert(db: Db, user: NewUser): Promise<UserRow> {
  const [row] = await db<UserRow>('users').insert(user).returning('*');
  return row as UserRow;
}

export async function update(db: Db, id: string, changes: UserUpdate): Promise<void> {
  await db<UserRow>('users').where({ id }).update({ ...changes, updated_at: db.fn.now() as unknown as Date });
}

/** Counts a failed login and returns the new count, atomically (two bad logins at once both count). */
export async function recordFailedLogin(db: Db, id: string, lockAfter: number, lockUntil: Date): Promise<number> {
  const [row] = await db<UserRow>('users')
    .where({ id })
    .update({
      failed_logins: db.raw('failed_logins + 1') as unknown as number,
      locked_until: db.raw('CASE WHEN failed_logins + 1 >= ? THEN ?::timestamptz ELSE locked_until END', [lockAfter, lockUntil]) as unknown as Date,
    })
    .returning(['failed_logins']);
  return row ? Number(row.failed_logins) : 0;
}

export function list(db: Db): Promise<UserRow[]> {
  return db<UserRow>('users').orderBy('username');
}
