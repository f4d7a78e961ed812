import type { Knex } from 'knex';

/**
 * The repository: content-addressed blobs stored in ~1 MB chunks, user directories, files with
 * their authors, and the version history of each file.
 */
/** A working copy and each earlier version: the content, its description, who wrote it. */
function contentColumns(t: Knex.CreateTableBuilder): void {
  t.bigInteger('blob_id').notNullable().references('id').inTable('repo_blobs');
  t.bigInteger('length').notNullable();
  t.text('content_type').notNullable();
  t.text('versionmsg').nullable();
  t.text('descr').nullable();
  t.text('tags').nullable();
  t.text('inputs').nullable();
  t.text('outputs').nullable();
  t.bigInteger('latest_by').notNullable().references('id').inTable('users').onDelete('CASCADE');
}

export async function up(knex: Knex): Promise<void> {
  // One row per distinct content. `sha256` stays NULL while the content is being streamed in
  // (inside the writer's transaction, so no other transaction ever sees a pending blob).
  await knex.schema.createTable('repo_blobs', (t) => {
    t.bigIncrements('id');
    t.string('sha256', 64).nullable().unique();
    t.bigInteger('length').notNullable().defaultTo(0);
    t.integer('chunk_count').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('repo_blob_chunks', (t) => {
    t.bigInteger('blob_id').notNullable().references('id').inTable('repo_blobs').onDelete('CASCADE');
    t.integer('idx').notNullable();
    t.binary('data').notNullable();
    t.primary(['blob_id', 'idx']);
  });

  // Custom and archived (`*.archive`) directories. `root` always exists and is never stored.
  await knex.schema.createTable('repo_directories', (t) => {
    t.bigIncrements('id');
    t.bigInteger('owner_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('name').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['owner_id', 'name']);
  });

  // A file and its working copy (the latest version). Access controls belong to the file.
  await knex.schema.createTable('repo_files', (t) => {
    t.bigIncrements('id');
    t.bigInteger('owner_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('directory').notNullable();
    t.text('filename').notNullable();
    contentColumns(t);
    t.text('restricted').nullable();
    t.boolean('shared').notNullable().defaultTo(false);
    t.boolean('published').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('modified_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['directory', 'filename']);
    t.index(['blob_id']);
    t.index(['published']);
    t.index(['shared']);
  });

  // Who may modify a file. (author, directory, filename) is unique per author; the service
  // enforces it under a per-user advisory lock, since it spans two tables.
  await knex.schema.createTable('repo_file_authors', (t) => {
    t.bigInteger('file_id').notNullable().references('id').inTable('repo_files').onDelete('CASCADE');
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.timestamp('granted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['file_id', 'user_id']);
    t.index(['user_id']);
  });

  // Earlier versions of a file, frozen when a write asked for `newversion`.
  await knex.schema.createTable('repo_versions', (t) => {
    t.bigIncrements('id');
    t.string('version', 64).notNullable().unique();
    t.bigInteger('file_id').notNullable().references('id').inTable('repo_files').onDelete('CASCADE');
    contentColumns(t);
    t.timestamp('modified_at', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['file_id']);
    t.index(['blob_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('repo_versions');
  await knex.schema.dropTableIfExists('repo_file_authors');
  await knex.schema.dropTableIfExists('repo_files');
  await knex.schema.dropTableIfExists('repo_directories');
  await knex.schema.dropTableIfExists('repo_blob_chunks');
  await knex.schema.dropTableIfExists('repo_blobs');
}
