import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/connect.js';
import { conversationIndexKey } from '../../src/store/conversation-key.js';
import { migrationProvider } from '../../src/store/migrations.js';
import { randomHex128 } from '../../src/service/secrets.js';
import { availableBackends, createBackend, type Backend } from '../support/backends.js';

const backends = await availableBackends();

/** A connection of its own to a backend's database, outside any store. */
function connect(backend: Backend): Kysely<any> {
  return backend.databaseUrl
    ? new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: backend.databaseUrl, max: 1 }) }) })
    : new Kysely({ dialect: new SqliteDialect({ database: new SQLite(path.join(backend.dataDir, 'monami.sqlite')) }) });
}

/** A database as the release before the conversation index key left it, with these accounts. */
async function databaseBeforeMigration(backend: Backend, accounts: readonly string[]): Promise<Kysely<any>> {
  const db = connect(backend);
  const migrated = await new Migrator({ db, provider: migrationProvider(backend.databaseUrl ? 'postgres' : 'sqlite') }).migrateTo('0003_federation');
  expect(migrated.error).toBeUndefined();
  for (const [i, id] of accounts.entries()) {
    await db.insertInto('accounts').values({
      id, account: `mg_${i}`, kind: 1, password_hash: 'x', name: `mg_${i}`, picture: '', sex: '', birthday: '', sign: '', mail: '', created_at: 1,
    }).execute();
  }
  return db;
}

const message = (sender: string, target: string, conversation: string, clientId: string) =>
  ({ sender_id: sender, target_id: target, conversation, client_message_id: clientId, text: 'eA==', created_at: 1, recalled_at: null });

describe.each(backends)('the conversation index key migration on %s', (backendName) => {
  let backend: Backend | null = null;
  afterEach(async () => {
    await backend?.drop();
    backend = null;
  });

  it('gives messages stored before it their conversation’s key, and history finds them; a key two conversations share never mixes them', async () => {
    backend = await createBackend(backendName);
    const [a, b, c] = [randomHex128(), randomHex128(), randomHex128()];
    const ab = [a, b].sort().join(':');
    const ac = [a, c].sort().join(':');

    // A database as the release before this migration left it, with messages in two conversations.
    const before = await databaseBeforeMigration(backend, [a, b, c]);
    await before.insertInto('messages').values([message(a, b, ab, 'one'), message(a, c, ac, 'two'), message(b, a, ab, 'three')]).execute();
    await before.destroy();

    const store = openStore({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl });
    try {
      await store.migrate();
      expect((await store.history(ab, null, 10)).map((m) => m.messageId)).toEqual(['one', 'three']);
      expect((await store.history(ac, null, 10)).map((m) => m.messageId)).toEqual(['two']);
    } finally {
      await store.close();
    }

    const after = connect(backend);
    try {
      const rows = await after.selectFrom('messages').select(['conversation', 'conversation_key']).execute();
      expect(rows.map((r) => Number(r.conversation_key))).toEqual(rows.map((r) => conversationIndexKey(r.conversation)));
      // Another conversation's messages under this one's key, as if their keys coincided:
      // this one's history is still its own.
      await after.updateTable('messages').set({ conversation_key: conversationIndexKey(ab) }).where('conversation', '=', ac).execute();
    } finally {
      await after.destroy();
    }
    const reopened = openStore({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl });
    try {
      await reopened.migrate();
      expect((await reopened.history(ab, null, 10)).map((m) => m.messageId)).toEqual(['one', 'three']);
    } finally {
      await reopened.close();
    }
  });

  it('keys every message of a database with more conversations than it reads at a time', async () => {
    backend = await createBackend(backendName);
    const [a, b] = [randomHex128(), randomHex128()];
    const before = await databaseBeforeMigration(backend, [a, b]);
    // 2,500 conversations: the migration reads them 1,000 at a time, so this takes three pages.
    const conversations = Array.from({ length: 2500 }, (_, i) => `${a}:${String(i).padStart(5, '0')}`);
    for (let i = 0; i < conversations.length; i += 500) {
      await before.insertInto('messages').values(conversations.slice(i, i + 500).map((conversation, j) => message(a, b, conversation, `m${i + j}`))).execute();
    }
    await before.destroy();

    const store = openStore({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    const after = connect(backend);
    try {
      const rows = await after.selectFrom('messages').select(['conversation', 'conversation_key']).execute();
      expect(rows).toHaveLength(2500);
      const wrong = rows.filter((r) => Number(r.conversation_key) !== conversationIndexKey(r.conversation));
      expect(wrong).toEqual([]);
    } finally {
      await after.destroy();
    }
  });
});
