/** SQL for projects, their authors, executions and execution results. */
import type { Knex } from 'knex';
import type { Db } from '../server/db/knex';

export interface ProjectRow {
  id: string;
  owner_id: string;
  name: string | null;
  descr: string | null;
  longdescr: string | null;
  shared: boolean;
  cookie: string | null;
  origin: string;
  temporary: boolean;
  blackbox: boolean;
  http_session: string | null;
  created_at: Date;
  last_modified: Date;
}

/** A project with the usernames the API shows. */
export interface ProjectView extends ProjectRow {
  author: string;
  authors: string[];
}

export interface ExecutionRow {
  id: string;
  project_id: string;
  actor_id: string | null;
  code: string;
  tag: string | null;
  console: string | null;
  time_start: string;
  time_code: number;
  time_total: number;
  interrupted: boolean;
  error: string | null;
  warnings: string[];
  created_at: Date;
}

export interface ResultRow {
  execution_id: string;
  filename: string;
  type: string;
  length: string;
  sha256: string;
}

type Conn = Db | Knex.Transaction;

const withAuthors = (db: Conn) =>
  db('projects as p')
    .join('users as o', 'o.id', 'p.owner_id')
    .select(
      'p.*',
      'o.username as author',
      db.raw(
        `coalesce((select array_agg(u.username order by u.username) from project_authors a join users u on u.id = a.user_id where a.project_id = p.id), array[]::text[]) as authors`,
      ),
    );

export async function insert(db: Db, row: Pick<ProjectRow, 'id' | 'owner_id' | 'name' | 'descr' | 'temporary' | 'blackbox' | 'http_session'>): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('projects').insert(row);
    await trx('project_authors').insert({ project_id: row.id, user_id: row.owner_id });
  });
}

export async function find(db: Conn, id: string): Promise<ProjectView | undefined> {
  return (await withAuthors(db).where('p.id', id).first()) as ProjectView | undefined;
}

/** Projects the user owns or co-authors, optionally with those others share. */
export async function listForUser(db: Conn, userId: string, opts: { own: boolean; shared: boolean; mostRecentFirst: boolean }): Promise<ProjectView[]> {
  const q = withAuthors(db).where((w) => {
    if (opts.own) w.orWhereExists(db('project_authors as a').whereRaw('a.project_id = p.id').andWhere('a.user_id', userId));
    if (opts.shared) w.orWhere((s) => s.where('p.shared', true).whereNotExists(db('project_authors as a').whereRaw('a.project_id = p.id').andWhere('a.user_id', userId)));
    if (!opts.own && !opts.shared) w.whereRaw('false');
  });
  q.orderBy(opts.mostRecentFirst ? 'p.last_modified' : 'p.created_at', opts.mostRecentFirst ? 'desc' : 'asc');
  return (await q) as ProjectView[];
}

export async function touch(db: Conn, id: string): Promise<void> {
  await db('projects').where({ id }).update({ last_modified: db.fn.now() });
}

export async function remove(db: Conn, id: string): Promise<void> {
  await db('projects').where({ id }).delete();
}

export async function temporaryIdsForSession(db: Conn, httpSession: string): Promise<string[]> {
  return (await db('projects').where({ http_session: httpSession, temporary: true }).pluck('id')) as string[];
}

export async function temporaryIdsForUser(db: Conn, userId: string): Promise<string[]> {
  return (await db('projects').where({ owner_id: userId, temporary: true }).pluck('id')) as string[];
}

/** Temporary projects whose HTTP session no longer exists (expired and pruned, or destroyed). */
export async function orphanedTemporaryIds(db: Conn): Promise<string[]> {
  return (await db('projects as p')
    .where('p.temporary', true)
    .whereNotNull('p.http_session')
    .whereNotExists(db('http_sessions as s').whereRaw('s.sid = p.http_session').andWhere('s.expire', '>', db.fn.now()))
    .pluck('p.id')) as string[];
}

/** Stores an execution with its results; returns the project's new last-modified time. */
export async function insertExecution(db: Db, row: Omit<ExecutionRow, 'created_at' | 'warnings'> & { warnings: string[] }, results: (Omit<ResultRow, 'length'> & { length: number; content: Buffer })[]): Promise<Date> {
  return db.transaction(async (trx) => {
    // History is not worth an fsync on the hot path: a crash may lose the last few executions'
    // records (as DeployR's phantom executions never had them), never corrupt them.
    await trx.raw('SET LOCAL synchronous_commit TO OFF');
    await trx('executions').insert({ ...row, warnings: JSON.stringify(row.warnings) });
    if (results.length) await trx('execution_results').insert(results);
    const [updated] = await trx('projects').where({ id: row.project_id }).update({ last_modified: trx.fn.now() }).returning('last_modified');
    return (updated as { last_modified: Date }).last_modified;
  });
}

export async function findResult(db: Conn, projectId: string, executionId: string, filename: string): Promise<(ResultRow & { content: Buffer }) | undefined> {
  return db('execution_results as r')
    .join('executions as e', 'e.id', 'r.execution_id')
    .where({ 'e.project_id': projectId, 'r.execution_id': executionId, 'r.filename': filename })
    .first('r.*');
}

export async function listResults(db: Conn, projectId: string, executionIds?: string[]): Promise<ResultRow[]> {
  const q = db('execution_results as r')
    .join('executions as e', 'e.id', 'r.execution_id')
    .where('e.project_id', projectId)
    .select('r.execution_id', 'r.filename', 'r.type', 'r.length', 'r.sha256')
    .orderBy([{ column: 'e.created_at' }, { column: 'r.filename' }]);
  if (executionIds?.length) q.whereIn('r.execution_id', executionIds);
  return q;
}

export async function resultContents(db: Conn, projectId: string, executionIds?: string[]): Promise<(ResultRow & { content: Buffer })[]> {
  const q = db('execution_results as r')
    .join('executions as e', 'e.id', 'r.execution_id')
    .where('e.project_id', projectId)
    .select('r.*')
    .orderBy([{ column: 'e.created_at' }, { column: 'r.filename' }]);
  if (executionIds?.length) q.whereIn('r.execution_id', executionIds);
  return q;
}
