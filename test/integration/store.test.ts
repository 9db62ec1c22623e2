import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountKind } from '../../src/domain/account.js';
import { createPostgresPool, openStore } from '../../src/store/connect.js';
import type { RelationPair, Transition } from '../../src/domain/relation.js';
import { appendMessage, type AccountRecord, type Store } from '../../src/store/store.js';
import { randomHex128, tokenDigest } from '../../src/service/secrets.js';
import { availableBackends, createBackend, POSTGRES_ADMIN_URL, type Backend } from '../support/backends.js';

const backends = await availableBackends();

const person = (account: string): AccountRecord => ({
  id: randomHex128(), account, kind: AccountKind.Person, name: account, picture: '', sex: '', birthday: '', sign: '',
  mail: `${account}@example.org`, createdAt: Date.now(), passwordHash: 'scrypt$10$8$1$x$y', passCodeHash: '', policy: 'approve', publicFields: ['synopsis'],
});

describe.each(backends)('store on %s', (backendName) => {
  let backend: Backend;
  let store: Store;
  beforeAll(async () => {
    backend = await createBackend(backendName);
    store = openStore({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl });
    await store.migrate();
    await store.migrate(); // migrations are idempotent at start-up
  });
  afterAll(async () => {
    await store?.close();
    await backend?.drop();
  });

  it('expires tokens at their time and purges them', async () => {
    const a = person('tokenowner');
    expect(await store.createAccount(a)).toBe(true);
    const live = tokenDigest(randomHex128());
    const old = tokenDigest(randomHex128());
    const now = Date.now();
    await store.insertToken(live, a.id, now, now + 60_000);
    await store.insertToken(old, a.id, now - 120_000, now - 60_000);
    expect(await store.tokenAccount(live, now)).toEqual({ account: a, expiresAt: now + 60_000 });
    expect(await store.tokenAccount(old, now)).toBeNull();
    expect(await store.tokenAccount(live, now + 60_001)).toBeNull();
    expect(await store.deleteExpiredTokens(now)).toBe(1);
    await store.extendToken(live, now + 120_000);
    expect(await store.tokenAccount(live, now + 60_001)).toMatchObject({ account: { id: a.id }, expiresAt: now + 120_000 });
    await store.deleteToken(live);
    expect(await store.tokenAccount(live, now)).toBeNull();
  });

  it('serialises concurrent changes of one pair: exactly one of two opposite requests befriends', async () => {
    const a = person('racer_a');
    const b = person('racer_b');
    await store.createAccount(a);
    await store.createAccount(b);
    const { request } = await import('../../src/domain/relation.js');
    const outcomes = await Promise.all([
      store.transformRelation(a.id, b.id, (pair) => { const t = request(pair, 'a'); return t.ok ? { pair: t.pair, result: t.outcome } : { pair: null, result: t.refusal }; }),
      store.transformRelation(b.id, a.id, (pair) => { const t = request(pair, 'b'); return t.ok ? { pair: t.pair, result: t.outcome } : { pair: null, result: t.refusal }; }),
    ]);
    expect(outcomes.sort()).toEqual(['befriended', 'requested']);
    expect((await store.sessionStart(a.id)).friends.map((f) => f.peer.id)).toEqual([b.id]);
    expect((await store.sessionStart(b.id)).friends.map((f) => f.peer.id)).toEqual([a.id]);
    expect((await store.sessionStart(a.id)).requests).toEqual([]);
  });

  it('reads everything a session starts from in one go', async () => {
    const [me, f1, f2, asker, group] = ['ss_me', 'ss_f1', 'ss_f2', 'ss_asker', 'ss_group'].map(person) as [AccountRecord, AccountRecord, AccountRecord, AccountRecord, AccountRecord];
    for (const p of [me, f1, f2, asker]) await store.createAccount(p);
    await store.createAccount({ ...group, kind: AccountKind.Group });
    const empty = await store.sessionStart(me.id);
    expect(empty).toEqual({ friends: [], requests: [], groups: [], watchers: [], deliveredSeq: 0, lastInboxSeq: 0 });

    const { accept, request } = await import('../../src/domain/relation.js');
    const relate = (from: AccountRecord, to: AccountRecord, change: (pair: RelationPair) => Transition) =>
      store.transformRelation(from.id, to.id, (pair) => { const t = change(pair); return { pair: t.ok ? t.pair : null, result: null }; });
    await relate(f1, me, (pair) => request(pair, 'hello', 'me for f1'));
    await relate(me, f1, (pair) => accept(pair, 'first'));
    await relate(f2, me, (pair) => request(pair, 'hi', 'me for f2'));
    await relate(me, f2, (pair) => accept(pair, 'second'));
    await relate(asker, me, (pair) => request(pair, 'may I?'));
    await store.setMember(group.id, me.id, 'member', '');
    const ref = (p: AccountRecord) => ({ id: p.id, account: p.account, kind: p.kind });
    for (const text of ['a', 'b']) {
      await appendMessage(store, { messageId: text, sender: ref(f1), target: ref(me), conversation: [f1.id, me.id].sort().join(':'), text, createdAt: Date.now() }, [f1.id, me.id]);
    }
    await store.markDelivered(new Map([[me.id, 1], [f1.id, 2]]));
    await store.markDelivered(new Map([[f1.id, 1]])); // never lowered
    expect((await store.sessionStart(f1.id)).deliveredSeq).toBe(2);

    const start = await store.sessionStart(me.id);
    const byAccount = <T>(list: T[], name: (item: T) => string) => [...list].sort((x, y) => name(x).localeCompare(name(y)));
    expect(byAccount(start.friends, (f) => f.peer.account).map((f) => [f.peer.account, f.alias])).toEqual([['ss_f1', 'first'], ['ss_f2', 'second']]);
    expect(start.friends.find((f) => f.peer.id === f2.id)!.peer).toEqual((({ passwordHash, passCodeHash, ...shown }) => shown)(f2));
    expect(start.requests.map((r) => [r.from.account, r.note])).toEqual([['ss_asker', 'may I?']]);
    expect(start.groups.map((g) => [g.account.account, g.account.kind, g.role])).toEqual([['ss_group', AccountKind.Group, 'member']]);
    expect(byAccount(start.watchers, (w) => w.alias)).toEqual([{ ownerId: f1.id, alias: 'me for f1' }, { ownerId: f2.id, alias: 'me for f2' }]);
    expect(start.deliveredSeq).toBe(1);
    expect(start.lastInboxSeq).toBe(2);
  });

  it('treats LIKE wildcards in a search as plain text', async () => {
    await store.createAccount({ ...person('percent'), name: '100% real' });
    await store.createAccount({ ...person('underscore'), name: 'a_b' });
    await store.createAccount({ ...person('plain'), name: 'aXb' });
    expect((await store.searchPeople('100%', 10, '')).map((a) => a.account)).toEqual(['percent']);
    expect((await store.searchPeople('a_b', 10, '')).map((a) => a.account)).toEqual(['underscore']);
  });
});

describe.skipIf(!backends.includes('postgres'))('a PostgreSQL store whose connections are cut', () => {
  it('survives the server terminating its idle connections, and reconnects', async () => {
    const backend = await createBackend('postgres');
    const errors: Error[] = [];
    const store = openStore({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl, onConnectionError: (e) => errors.push(e) });
    await store.migrate();
    await store.ping();
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: backend.databaseUrl });
    await admin.connect();
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
    await admin.end();
    await expect.poll(() => errors.length).toBeGreaterThan(0);
    await store.ping();
    expect(await store.accountByName('nobody')).toBeNull();
    await store.close();
    await backend.drop();
  });

  it('survives the server ending a connection that is in use, and goes on with a new one', async () => {
    const backend = await createBackend('postgres');
    const pg = (await import('pg')).default;
    const pool = createPostgresPool(backend.databaseUrl!);
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      // Checked out, as a transaction holds its connection between two statements.
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const ended = new Promise((resolve) => client.once('end', resolve));
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await ended;
      await expect(client.query('select 1')).rejects.toThrow();
      client.release();
      expect((await pool.query<{ n: number }>('select 41 + 1 as n')).rows).toEqual([{ n: 42 }]);
    } finally {
      await admin.end();
      await pool.end();
      await backend.drop();
    }
  });
});

describe.each(backends)('group commit on %s', (backendName) => {
  it('numbers hundreds of concurrent appends gap-free per recipient, in submission order, each stored once', async () => {
    const backend = await createBackend(backendName);
    const store = openStore({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl });
    await store.migrate();
    const people = ['gc_a', 'gc_b', 'gc_c'].map(person);
    for (const p of people) await store.createAccount(p);
    const ref = (p: AccountRecord) => ({ id: p.id, account: p.account, kind: p.kind });
    const [a, b, c] = people as [AccountRecord, AccountRecord, AccountRecord];
    const sends = Array.from({ length: 300 }, (_, i) => {
      const [from, to] = i % 3 === 0 ? [a, b] : i % 3 === 1 ? [b, c] : [c, a];
      return { from, to, messageId: `m${i}` };
    });
    // Two resends of earlier messages ride along in the same burst.
    const all = [...sends, sends[5]!, sends[7]!];
    const results = await Promise.all(
      all.map(({ from, to, messageId }) =>
        appendMessage(store, { messageId, sender: ref(from), target: ref(to), conversation: [from.id, to.id].sort().join(':'), text: 'eA==', createdAt: Date.now() }, [from.id, to.id]),
      ),
    );
    expect(results.filter((r) => r.duplicate)).toHaveLength(2);
    expect(results[300]!.message.id).toBe(results[5]!.message.id);
    for (const p of people) {
      const inbox = await store.inboxAfter(p.id, 0, 1000);
      expect(inbox).toHaveLength(200);
      expect(inbox.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const order = inbox.map((e) => Number(e.message.messageId.slice(1)));
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    await store.close();
    await backend.drop();
  });
});

/** Counts what `query` finds in the database file alone: a copy without its WAL holds what was checkpointed. */
function countInFileAlone(dataDir: string, query: string): number {
  const copy = path.join(dataDir, `copy-${Date.now()}-${Math.random()}.sqlite`);
  fs.copyFileSync(path.join(dataDir, 'monami.sqlite'), copy);
  const db = new SQLite(copy);
  try {
    return (db.prepare(query).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the SQLite checkpointer', () => {
  it('copies committed messages into the database file itself soon after their commit, without closing', async () => {
    const backend = await createBackend('sqlite');
    const store = openStore({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl });
    await store.migrate();
    const [a, b] = ['ck_a', 'ck_b'].map(person) as [AccountRecord, AccountRecord];
    for (const p of [a, b]) await store.createAccount(p);
    const ref = (p: AccountRecord) => ({ id: p.id, account: p.account, kind: p.kind });
    // A few messages: far fewer pages than a connection's own checkpoint would wait for.
    for (const messageId of ['c1', 'c2', 'c3']) {
      await appendMessage(store, { messageId, sender: ref(a), target: ref(b), conversation: [a.id, b.id].sort().join(':'), text: 'eA==', createdAt: Date.now() }, [a.id, b.id]);
    }
    const query = "select count(*) as n from messages where client_message_id in ('c1', 'c2', 'c3')";
    // A generous deadline (the thread boots from the sources under a loaded test run): without
    // the checkpointer these rows stay in the WAL until the file is closed, however long one waits.
    await expect.poll(() => countInFileAlone(backend.dataDir, query), { timeout: 15_000, interval: 50 }).toBe(3);
    await store.close();
    await backend.drop();
  });

  it('copies the main connection’s commits too, with no message written at all', async () => {
    const backend = await createBackend('sqlite');
    const store = openStore({ dataDir: backend.dataDir, databaseUrl: backend.databaseUrl });
    await store.migrate();
    for (const p of ['sw_a', 'sw_b'].map(person)) await store.createAccount(p);
    const query = "select count(*) as n from accounts where account in ('sw_a', 'sw_b')";
    await expect.poll(() => countInFileAlone(backend.dataDir, query), { timeout: 15_000, interval: 50 }).toBe(2);
    await store.close();
    await backend.drop();
  });
});
