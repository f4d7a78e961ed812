import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.bigIncrements('id');
    t.string('username', 64).notNullable().unique();
    t.string('displayname', 255).notNullable();
    t.text('password_hash').notNullable();
    t.specificType('roles', 'text[]').notNullable().defaultTo('{}');
    t.boolean('enabled').notNullable().defaultTo(true);
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.timestamp('locked_until', { useTz: true }).nullable();
    t.timestamp('password_expires_at', { useTz: true }).nullable();
    // The application cookie set by /r/user/logout?usercookie= and returned at the next login.
    t.text('cookie').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  // connect-pg-simple's schema, owned by our migrations so there is one source of the schema.
  await knex.schema.createTable('http_sessions', (t) => {
    t.string('sid').primary();
    t.json('sess').notNullable();
    t.timestamp('expire', { precision: 6 }).notNullable().index();
  });

  // Server-wide settings that must survive restarts (e.g. the session-signing secret).
  await knex.schema.createTable('settings', (t) => {
    t.string('key', 128).primary();
    t.text('value').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('settings');
  await knex.schema.dropTableIfExists('http_sessions');
  await knex.schema.dropTableIfExists('users');
}
