/** The Knex instance and the migrations, which are the schema's only source. */
import path from 'node:path';
import knexFactory, { Knex } from 'knex';

export type Db = Knex;

export function createDb(url: string, pool: { min: number; max: number } = { min: 0, max: 20 }): Db {
  return knexFactory({ client: 'pg', connection: url, pool });
}

/** Applies pending migrations from migrations/ (as .ts under ts-jest, .js once compiled). */
export async function migrate(db: Db): Promise<void> {
  const isTs = __filename.endsWith('.ts');
  await db.migrate.latest({
    directory: path.resolve(__dirname, '../../migrations'),
    loadExtensions: [isTs ? '.ts' : '.js'],
    tableName: 'knex_migrations',
  });
}
