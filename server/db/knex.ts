/** The Knex instance and the migrations, which are the schema's only source. */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { Knex } from 'knex';

export type Db = Knex;

export function createDb(url: string, pool: { min: number; max: number } = { min: 0, max: 20 }): Db {
  return knexFactory({ client: 'pg', connection: url, pool });
}

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Migrations from migrations/, recorded under their name without extension: the same database
 * is migrated by TypeScript sources (tests) and by the compiled JavaScript (`npm start`), and
 * Knex would otherwise call the other's records "missing files".
 */
class MigrationsDirectory implements Knex.MigrationSource<string> {
  private readonly ext = __filename.endsWith('.ts') ? '.ts' : '.js';
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<string[]> {
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith(this.ext) && !f.endsWith('.d.ts'))
      .map((f) => f.slice(0, -this.ext.length))
      .sort();
  }

  getMigrationName(name: string): string {
    return name;
  }

  async getMigration(name: string): Promise<Migration> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(this.dir, name + this.ext)) as Migration;
  }
}

/** Applies pending migrations. */
export async function migrate(db: Db): Promise<void> {
  // Databases migrated before names lost their extension keep working.
  if (await db.schema.hasTable('knex_migrations')) {
    await db('knex_migrations').update({ name: db.raw("regexp_replace(name, '\\.(ts|js)$', '')") });
  }
  await db.migrate.latest({
    migrationSource: new MigrationsDirectory(path.resolve(__dirname, '../../migrations')),
    tableName: 'knex_migrations',
  });
}
