import type { Kysely, Migration, MigrationProvider } from 'kysely';

/**
 * Schema migrations, applied in name order at start-up. Never edit one that has shipped:
 * add a new one. Timestamps are epoch milliseconds in bigint columns.
 */
const migrations: Record<string, Migration> = {
  '0001_accounts_tokens_relations': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('account', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('kind', 'integer', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('picture', 'text', (c) => c.notNull())
        .addColumn('sex', 'text', (c) => c.notNull())
        .addColumn('birthday', 'text', (c) => c.notNull())
        .addColumn('sign', 'text', (c) => c.notNull())
        .addColumn('mail', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('tokens')
        .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('account_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tokens_expires_at').on('tokens').column('expires_at').execute();
      await db.schema.createIndex('tokens_account_id').on('tokens').column('account_id').execute();

      await db.schema
        .createTable('relations')
        .addColumn('owner_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('peer_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('alias', 'text', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('relations_pk', ['owner_id', 'peer_id'])
        .execute();
      await db.schema.createIndex('relations_peer_state').on('relations').columns(['peer_id', 'state']).execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
