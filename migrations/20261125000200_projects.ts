import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('projects', (t) => {
    t.string('id', 64).primary(); // PROJECT-<uuid>
    t.bigInteger('owner_id').notNullable().references('users.id').onDelete('CASCADE').index();
    t.text('name').nullable();
    t.text('descr').nullable();
    t.text('longdescr').nullable();
    t.boolean('shared').notNullable().defaultTo(false);
    t.text('cookie').nullable();
    t.text('origin').notNullable().defaultTo('Project original.');
    // Temporary projects live only as long as their HTTP session (or an explicit close).
    t.boolean('temporary').notNullable().defaultTo(true);
    t.boolean('blackbox').notNullable().defaultTo(false);
    t.string('http_session', 255).nullable().index();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_modified', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('project_authors', (t) => {
    t.string('project_id', 64).notNullable().references('projects.id').onDelete('CASCADE');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.primary(['project_id', 'user_id']);
  });

  await knex.schema.createTable('executions', (t) => {
    t.string('id', 64).primary(); // EXEC-<uuid>
    t.string('project_id', 64).notNullable().references('projects.id').onDelete('CASCADE');
    t.bigInteger('actor_id').nullable().references('users.id').onDelete('SET NULL');
    t.text('code').notNullable();
    t.text('tag').nullable();
    t.text('console').nullable();
    t.bigInteger('time_start').notNullable();
    t.integer('time_code').notNullable();
    t.integer('time_total').notNullable();
    t.boolean('interrupted').notNullable().defaultTo(false);
    t.text('error').nullable();
    t.jsonb('warnings').notNullable().defaultTo('[]');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['project_id', 'created_at']);
  });

  // Results (unnamed plots) of an execution. Small files: kept inline.
  await knex.schema.createTable('execution_results', (t) => {
    t.string('execution_id', 64).notNullable().references('executions.id').onDelete('CASCADE');
    t.text('filename').notNullable();
    t.text('type').notNullable();
    t.bigInteger('length').notNullable();
    t.string('sha256', 64).notNullable();
    t.binary('content').notNullable();
    t.primary(['execution_id', 'filename']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('execution_results');
  await knex.schema.dropTableIfExists('executions');
  await knex.schema.dropTableIfExists('project_authors');
  await knex.schema.dropTableIfExists('projects');
}
