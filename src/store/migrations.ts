import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { conversationIndexKey } from './conversation-key.js';

/** How many conversations migration 0004 reads at a time. */
const CONVERSATIONS_PER_PAGE = 1000;

/**
 * Schema migrations, applied in name order at start-up. Never edit one that has shipped:
 * add a new one. Timestamps are epoch milliseconds in bigint columns.
 */
function migrations(kind: 'sqlite' | 'postgres'): Record<string, Migration> {
  return {
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

  '0002_monster_groups_messages_inbox': {
    async up(db: Kysely<any>) {
      // Who may join (person, group or channel), the hashed pass code, what 1000 shows, and
      // the per-account inbox counters that make resuming gap-free.
      await db.schema.alterTable('accounts').addColumn('policy', 'varchar(16)', (c) => c.notNull().defaultTo('approve')).execute();
      await db.schema.alterTable('accounts').addColumn('pass_hash', 'text', (c) => c.notNull().defaultTo('')).execute();
      await db.schema.alterTable('accounts').addColumn('public_fields', 'text', (c) => c.notNull().defaultTo('synopsis')).execute();
      await db.schema.alterTable('accounts').addColumn('inbox_seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('accounts').addColumn('delivered_seq', 'bigint', (c) => c.notNull().defaultTo(0)).execute();

      await db.schema
        .createTable('members')
        .addColumn('group_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('member_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('members_pk', ['group_id', 'member_id'])
        .execute();
      await db.schema.createIndex('members_member').on('members').column('member_id').execute();

      await db.schema
        .createTable('messages')
        .addColumn('id', kind === 'postgres' ? 'bigserial' : 'integer', (c) => (kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('sender_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('target_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('conversation', 'varchar(65)', (c) => c.notNull())
        .addColumn('client_message_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('recalled_at', 'bigint')
        .execute();
      await db.schema.createIndex('messages_sender_client_id').unique().on('messages').columns(['sender_id', 'client_message_id']).execute();
      await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation', 'id']).execute();

      await db.schema
        .createTable('inbox')
        .addColumn('user_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'integer', (c) => c.notNull())
        .addColumn('message_id', 'bigint', (c) => c.notNull().references('messages.id').onDelete('cascade'))
        .addPrimaryKeyConstraint('inbox_pk', ['user_id', 'seq'])
        .execute();
      await db.schema.createIndex('inbox_message').on('inbox').column('message_id').execute();
    },
  },

  '0003_federation': {
    async up(db: Kysely<any>) {
      // Remote accounts are named by their full address, longer than a local name.
      if (kind === 'postgres') await db.schema.alterTable('accounts').alterColumn('account', (c) => c.setDataType('varchar(400)')).execute();

      await db.schema
        .createTable('federation_keys')
        .addColumn('key_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('private_key', 'text', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      // Frames waiting for a remote server, delivered in id order per destination.
      await db.schema
        .createTable('federation_outbox')
        .addColumn('id', kind === 'postgres' ? 'bigserial' : 'integer', (c) => (kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn('destination', 'varchar(300)', (c) => c.notNull())
        .addColumn('actor_id', 'varchar(32)', (c) => c.notNull())
        .addColumn('frame', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('federation_outbox_destination').on('federation_outbox').columns(['destination', 'id']).execute();

      // What each remote frame was answered, so a redelivery gets the same answer and no second
      // effect. An empty answer is a claim: a node is handling the frame right now.
      await db.schema
        .createTable('federation_received')
        .addColumn('origin', 'varchar(300)', (c) => c.notNull())
        .addColumn('sender', 'varchar(400)', (c) => c.notNull())
        .addColumn('code', 'integer', (c) => c.notNull())
        .addColumn('message_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('answer', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('federation_received_pk', ['origin', 'sender', 'code', 'message_id'])
        .execute();
      await db.schema.createIndex('federation_received_at').on('federation_received').column('received_at').execute();

      // Operators' allow and block rules for remote servers.
      await db.schema
        .createTable('federation_peers')
        .addColumn('domain', 'varchar(300)', (c) => c.primaryKey())
        .addColumn('rule', 'varchar(8)', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      // Handshake nonces within their validity, shared by every node (a replay to another node fails too).
      await db.schema
        .createTable('federation_nonces')
        .addColumn('origin', 'varchar(300)', (c) => c.notNull())
        .addColumn('nonce', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('federation_nonces_pk', ['origin', 'nonce'])
        .execute();
      await db.schema.createIndex('federation_nonces_expires').on('federation_nonces').column('expires_at').execute();

      // Which node delivers to a destination, until when: one sender per destination keeps the order.
      await db.schema
        .createTable('federation_leases')
        .addColumn('destination', 'varchar(300)', (c) => c.primaryKey())
        .addColumn('holder', 'varchar(64)', (c) => c.notNull())
        .addColumn('until', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  '0004_conversation_index_key': {
    async up(db: Kysely<any>) {
      // Conversations are indexed by an integer digest of their key instead of the key's
      // text (see conversation-key.ts); existing messages get theirs one conversation at a time.
      await db.schema.alterTable('messages').addColumn('conversation_key', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      // A page of conversations at a time, so that a large database is not read into memory at once.
      for (let after = ''; ; ) {
        const page = (await db
          .selectFrom('messages')
          .select('conversation')
          .distinct()
          .where('conversation', '>', after)
          .orderBy('conversation')
          .limit(CONVERSATIONS_PER_PAGE)
          .execute()) as { conversation: string }[];
        for (const { conversation } of page) {
          await db.updateTable('messages').set({ conversation_key: conversationIndexKey(conversation) }).where('conversation', '=', conversation).execute();
        }
        if (page.length < CONVERSATIONS_PER_PAGE) break;
        after = page[page.length - 1]!.conversation;
      }
      await db.schema.createIndex('messages_conversation_key').on('messages').columns(['conversation_key', 'id']).execute();
      await db.schema.dropIndex('messages_conversation').execute();
    },
  },
  '0005_federation_posts': {
    async up(db: Kysely<any>) {
      // Posts local people sent to groups of other servers, so that a group's fan-out that
      // names a local person as the author is taken only for a post that person sent.
      await db.schema
        .createTable('federation_posts')
        .addColumn('author_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('group_id', 'varchar(32)', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('client_message_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('posted_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('federation_posts_pk', ['author_id', 'group_id', 'client_message_id'])
        .execute();
      await db.schema.createIndex('federation_posts_posted_at').on('federation_posts').column('posted_at').execute();
    },
  },
  };
}

export function migrationProvider(kind: 'sqlite' | 'postgres'): MigrationProvider {
  return {
    async getMigrations() {
      return migrations(kind);
    },
  };
}
