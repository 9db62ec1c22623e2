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
    const before = connect(backend);
    const migrated = await new Migrator({ db: before, provider: migrationProvider(backendName) }).migrateTo('0003_federation');
    expect(migrated.error).toBeUndefined();
    for (const [id, account] of [[a, 'mg_a'], [b, 'mg_b'], [c, 'mg_c']] as const) {
      await before.insertInto('accounts').values({
        id, account, kind: 1, password_hash: 'x', name: account, picture: '', sex: '', birthday: '', sign: '', mail: '', created_at: 1,
      }).execute();
    }
    const message = (sender: string, target: string, conversation: string, clientId: string) =>
      ({ sender_id: sender, target_id: target, conversation, client_message_id: clientId, text: 'eA==', created_at: 1, recalled_at: null });
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
});
