import { createTestDatabase } from '../helpers/db';
import { migrate } from '../../server/db/knex';

it('keeps working on a database whose migrations were recorded with file extensions', async () => {
  const database = await createTestDatabase();
  try {
    const names = (await database.db('knex_migrations').pluck('name')) as string[];
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => !/\.(ts|js)$/.test(n))).toBe(true);
    // As an earlier build recorded them (compiled: .js).
    await database.db('knex_migrations').update({ name: database.db.raw("name || '.js'") });
    await migrate(database.db);
    expect(((await database.db('knex_migrations').pluck('name')) as string[]).sort()).toEqual([...names].sort());
  } finally {
    await database.drop();
  }
});
