import { Migrator, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Account, AccountKind } from '../domain/account.js';
import type { InboxEntry, InboxKind, NewMessage, StoredMessage } from '../domain/message.js';
import type { InfoTitle, JoinPolicy, Role } from '../domain/monster.js';
import type { Edge, RelationPair } from '../domain/relation.js';
import { conversationIndexKey } from './conversation-key.js';
import { FederationStore } from './federation-store.js';
import { migrationProvider } from './migrations.js';
import type { SqliteWriter } from './sqlite-writer.js';
import type { AccountsTable, Database, RelationsTable } from './schema.js';
import type { AccountChanges, AccountRecord, Appended, AppendWaiter, Membership, SessionStart, Store, TokenAccount } from './store.js';

/** The columns an Account is made of. */
const ACCOUNT_FIELDS = ['id', 'account', 'kind', 'name', 'picture', 'sex', 'birthday', 'sign', 'mail', 'created_at', 'policy', 'public_fields'] as const;
type AccountRow = Pick<Selectable<AccountsTable>, (typeof ACCOUNT_FIELDS)[number]>;

const toAccount = (row: AccountRow): Account => ({
  id: row.id,
  account: row.account,
  kind: row.kind as AccountKind,
  name: row.name,
  picture: row.picture,
  sex: row.sex,
  birthday: row.birthday,
  sign: row.sign,
  mail: row.mail,
  createdAt: Number(row.created_at),
  policy: row.policy as JoinPolicy,
  publicFields: row.public_fields ? (row.public_fields.split(',') as InfoTitle[]) : [],
});

/**
 * The account with its secrets added to it, not spread into a new literal: a spread gave
 * each record read a hidden class of its own, and the account cache re-reads every record
 * as it expires; added properties follow one transition, so all records share one shape.
 */
function toRecord(row: Selectable<AccountsTable>): AccountRecord {
  const record = toAccount(row) as AccountRecord;
  record.passwordHash = row.password_hash;
  record.passCodeHash = row.pass_hash;
  return record;
}

const toEdge = (row: Selectable<RelationsTable> | undefined): Edge | null =>
  row ? { state: row.state, alias: row.alias, note: row.note } : null;

/** Column list of accounts joined under the `a` alias. */
const accountColumns = [
  'a.id', 'a.account', 'a.kind', 'a.password_hash', 'a.name', 'a.picture', 'a.sex', 'a.birthday', 'a.sign', 'a.mail', 'a.created_at',
  'a.policy', 'a.pass_hash', 'a.public_fields', 'a.inbox_seq', 'a.delivered_seq',
] as const;

/** SQLite allows 32766 bound values per statement; stay well under it. */
const INSERT_CHUNK = 1000;
const INBOX_CHUNK = 4000;
/** Most messages one group commit takes. */
const APPEND_BATCH = 2000;

interface PendingAppend {
  message: NewMessage;
  recipients: readonly string[];
  waiter: AppendWaiter;
}

type MessageRow = {
  id: number; sender_id: string; target_id: string; conversation: string; client_message_id: string; text: string;
  created_at: number; recalled_at: number | null;
  s_account: string; s_kind: number; t_account: string; t_kind: number;
};

const toMessage = (r: MessageRow): StoredMessage => ({
  id: Number(r.id),
  messageId: r.client_message_id,
  sender: { id: r.sender_id, account: r.s_account, kind: r.s_kind as AccountKind },
  target: { id: r.target_id, account: r.t_account, kind: r.t_kind as AccountKind },
  conversation: r.conversation,
  text: r.text,
  createdAt: Number(r.created_at),
  recalledAt: r.recalled_at === null ? null : Number(r.recalled_at),
});

/** Escapes LIKE wildcards so a search for "50%" finds "50%", not everything. */
const likePattern = (text: string) => '%' + text.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export class SqlStore implements Store {
  constructor(
    private readonly db: Kysely<Database>,
    readonly kind: 'sqlite' | 'postgres',
    /** SQLite only: the message log, written on its own thread (it keeps the inbox counters; accounts.inbox_seq is PostgreSQL's). */
    private readonly sqliteLog: SqliteWriter | null = null,
  ) {}

  private federationStore: FederationStore | null = null;

  federation(): FederationStore {
    return (this.federationStore ??= new FederationStore(this.db));
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider(this.kind) });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
    this.sqliteLog?.open(); // it reads the schema, which exists from here on
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.sqliteLog?.close();
    await this.db.destroy();
  }

  async createAccount(a: AccountRecord): Promise<boolean> {
    try {
      await this.db
        .insertInto('accounts')
        .values({
          id: a.id, account: a.account, kind: a.kind, password_hash: a.passwordHash, name: a.name, picture: a.picture,
          sex: a.sex, birthday: a.birthday, sign: a.sign, mail: a.mail, created_at: a.createdAt,
          policy: a.policy, pass_hash: a.passCodeHash, public_fields: a.publicFields.join(','), inbox_seq: 0, delivered_seq: 0,
        })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async accountById(id: string): Promise<AccountRecord | null> {
    const row = await this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async accountByName(account: string): Promise<AccountRecord | null> {
    const row = await this.db.selectFrom('accounts').selectAll().where('account', '=', account).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async updateAccount(id: string, changes: AccountChanges): Promise<void> {
    const set: Record<string, unknown> = {};
    for (const [key, column] of [['name', 'name'], ['picture', 'picture'], ['sex', 'sex'], ['birthday', 'birthday'], ['sign', 'sign'], ['policy', 'policy'], ['passCodeHash', 'pass_hash']] as const) {
      if (changes[key] !== undefined) set[column] = changes[key];
    }
    if (changes.publicFields) set.public_fields = changes.publicFields.join(',');
    if (Object.keys(set).length === 0) return;
    await this.db.updateTable('accounts').set(set).where('id', '=', id).execute();
  }

  async deleteAccount(id: string): Promise<void> {
    await this.db.deleteFrom('accounts').where('id', '=', id).execute();
  }

  async searchPeople(query: string, limit: number, excludeId: string): Promise<Account[]> {
    const pattern = likePattern(query);
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('kind', '=', 1)
      .where('id', '!=', excludeId)
      .where('account', 'not like', '@%')
      .where((eb) =>
        eb.or([
          eb('account', '=', query.toLowerCase()),
          sql<boolean>`lower(name) like ${pattern} escape '\\'`,
          sql<boolean>`account like ${pattern} escape '\\'`,
        ]),
      )
      // Exact account matches first, then by name, so the person you typed is on top.
      .orderBy(sql`case when account = ${query.toLowerCase()} then 0 else 1 end`)
      .orderBy('name')
      .limit(limit)
      .execute();
    return rows.map(toAccount);
  }

  async insertToken(tokenHash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void> {
    await this.db
      .insertInto('tokens')
      .values({ token_hash: tokenHash, account_id: accountId, created_at: createdAt, expires_at: expiresAt })
      .execute();
  }

  async tokenAccount(tokenHash: string, now: number): Promise<TokenAccount | null> {
    // Written out rather than built: every token login and authenticated request runs it,
    // and building and compiling the join took Kysely four times what SQLite takes to run it.
    const { rows } = await sql<Selectable<AccountsTable> & { token_expires_at: number }>`
      select a.*, t.expires_at as token_expires_at from tokens t join accounts a on a.id = t.account_id
      where t.token_hash = ${tokenHash} and t.expires_at > ${now}`.execute(this.db);
    return rows[0] ? { account: toRecord(rows[0]), expiresAt: Number(rows[0].token_expires_at) } : null;
  }

  async extendToken(tokenHash: string, expiresAt: number): Promise<void> {
    await this.db.updateTable('tokens').set({ expires_at: expiresAt }).where('token_hash', '=', tokenHash).execute();
  }

  async deleteToken(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('tokens').where('token_hash', '=', tokenHash).execute();
  }

  async deleteExpiredTokens(now: number): Promise<number> {
    const result = await this.db.deleteFrom('tokens').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async relation(actor: string, peer: string): Promise<RelationPair> {
    return readPair(this.db, actor, peer);
  }

  async transformRelation<T>(
    actor: string,
    peer: string,
    decide: (pair: RelationPair) => { pair: RelationPair | null; result: T },
  ): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      if (this.kind === 'postgres') {
        // Lock both account rows in a fixed order so concurrent changes of one pair serialise
        // (the relation rows themselves may not exist yet). SQLite runs one writer at a time.
        await trx.selectFrom('accounts').select('id').where('id', 'in', [actor, peer]).orderBy('id').forNoKeyUpdate().execute();
      }
      const current = await readPair(trx, actor, peer);
      const { pair, result } = decide(current);
      if (pair) {
        const now = Date.now();
        await writeEdge(trx, actor, peer, pair.mine, now);
        await writeEdge(trx, peer, actor, pair.theirs, now);
      }
      return result;
    });
  }

  async aliasesFor(accountId: string): Promise<{ ownerId: string; alias: string }[]> {
    // Written out: every last session of a user to close runs it (see tokenAccount).
    const { rows } = await sql<{ ownerId: string; alias: string }>`
      select owner_id as "ownerId", alias from relations where peer_id = ${accountId} and state = 'friend'`.execute(this.db);
    return rows;
  }

  /**
   * One statement, written out: as six statements built by Kysely, the snapshot was most of
   * a token login's database time. Rows are tagged with their part and come in that part's
   * order; the two numbers (delivered mark, newest inbox entry) come in `ord`.
   */
  async sessionStart(accountId: string): Promise<SessionStart> {
    const account = sql.raw(ACCOUNT_FIELDS.map((c) => `a.${c}`).join(', '));
    const watcher = sql.raw(ACCOUNT_FIELDS.map((c) => (c === 'id' ? 'r.owner_id' : 'null')).join(', '));
    const nothing = sql.raw(ACCOUNT_FIELDS.map(() => 'null').join(', '));
    const { rows } = await sql<AccountRow & { part: 'd' | 'f' | 'g' | 'i' | 'r' | 'w'; extra: string | null; ord: number | null }>`
      select 'f' as part, r.alias as extra, r.updated_at as ord, ${account}
        from relations r join accounts a on a.id = r.peer_id where r.owner_id = ${accountId} and r.state = 'friend'
      union all
      select 'r', r.note, r.updated_at, ${account}
        from relations r join accounts a on a.id = r.owner_id where r.peer_id = ${accountId} and r.state = 'requested'
      union all
      select 'g', m.role, m.joined_at, ${account}
        from members m join accounts a on a.id = m.group_id where m.member_id = ${accountId}
      union all
      select 'w', r.alias, r.updated_at, ${watcher} from relations r where r.peer_id = ${accountId} and r.state = 'friend'
      union all
      select 'd', null, delivered_seq, ${nothing} from accounts where id = ${accountId}
      union all
      select 'i', null, (select max(seq) from inbox where user_id = ${accountId}), ${nothing}
      order by part, ord`.execute(this.db);
    const start: SessionStart = { friends: [], requests: [], groups: [], watchers: [], deliveredSeq: 0, lastInboxSeq: 0 };
    for (const row of rows) {
      switch (row.part) {
        case 'f': start.friends.push({ peer: toAccount(row), alias: row.extra! }); break;
        case 'r': start.requests.push({ from: toAccount(row), note: row.extra! }); break;
        case 'g': start.groups.push({ account: toAccount(row), role: row.extra as Role }); break;
        case 'w': start.watchers.push({ ownerId: row.id, alias: row.extra! }); break;
        case 'd': start.deliveredSeq = Number(row.ord); break;
        case 'i': start.lastInboxSeq = Number(row.ord ?? 0); break;
      }
    }
    return start;
  }

  async setMember(groupId: string, memberId: string, role: Role, note: string): Promise<void> {
    await this.db
      .insertInto('members')
      .values({ group_id: groupId, member_id: memberId, role, note, joined_at: Date.now() })
      .onConflict((oc) => oc.columns(['group_id', 'member_id']).doUpdateSet({ role, note }))
      .execute();
  }

  async removeMember(groupId: string, memberId: string): Promise<boolean> {
    const result = await this.db.deleteFrom('members').where('group_id', '=', groupId).where('member_id', '=', memberId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async roleOf(groupId: string, memberId: string): Promise<Role | null> {
    const row = await this.db.selectFrom('members').select('role').where('group_id', '=', groupId).where('member_id', '=', memberId).executeTakeFirst();
    return row ? (row.role as Role) : null;
  }

  async membersOf(groupId: string): Promise<Membership[]> {
    const rows = await this.db
      .selectFrom('members as m')
      .innerJoin('accounts as a', 'a.id', 'm.member_id')
      .select([...accountColumns, 'm.role'])
      .where('m.group_id', '=', groupId)
      .orderBy('m.joined_at')
      .execute();
    return rows.map((row) => ({ account: toAccount(row), role: row.role as Role }));
  }

  async memberIdsOf(groupId: string, roles: readonly Role[]): Promise<string[]> {
    const rows = await this.db.selectFrom('members').select('member_id').where('group_id', '=', groupId).where('role', 'in', [...roles]).execute();
    return rows.map((r) => r.member_id);
  }

  /** Appends waiting for the transaction being written; they all go into the next one. */
  private readonly appendQueue: PendingAppend[] = [];
  private appending = false;

  appendMessage(message: NewMessage, recipients: readonly string[], waiter: AppendWaiter): void {
    this.appendQueue.push({ message, recipients, waiter });
    if (!this.appending) void this.drainAppends();
  }

  /**
   * Group commit. While one transaction is being written, new messages queue; the next
   * transaction takes them all: one commit (one fsync) and a fixed handful of statements
   * per batch instead of per message. Batches run one after another, so order is kept.
   */
  private async drainAppends(): Promise<void> {
    this.appending = true;
    try {
      while (this.appendQueue.length) {
        // Let sockets with data waiting queue their messages first, so batches fill under load.
        await new Promise((resolve) => setImmediate(resolve));
        const batch = this.appendQueue.splice(0, APPEND_BATCH);
        let results: Appended[];
        try {
          results = await this.writeBatch(batch);
        } catch {
          // One bad message must not fail its neighbours: retry each on its own.
          for (const item of batch) {
            await this.writeBatch([item]).then(([r]) => item.waiter.appended(r!), (err: unknown) => item.waiter.failed(err));
          }
          continue;
        }
        for (let i = 0; i < batch.length; i++) batch[i]!.waiter.appended(results[i]!);
      }
    } finally {
      this.appending = false;
    }
  }

  private writeBatch(batch: readonly PendingAppend[]): Promise<Appended[]> {
    const log = this.sqliteLog;
    if (!log) return this.db.transaction().execute((trx) => this.appendBatch(trx, batch));
    // Holding Kysely's only connection keeps every other statement out of the way while the
    // writer thread commits, so the two connections never contend for the write lock.
    return this.db.connection().execute(async (conn) => {
      const results = await log.appendBatch(
        batch.map(({ message: m, recipients }) => ({
          senderId: m.sender.id, targetId: m.target.id, conversation: m.conversation, messageId: m.messageId, text: m.text, createdAt: m.createdAt, recipients,
        })),
      );
      const earlier = await messagesByIds(conn, results.filter((r) => r.duplicate).map((r) => r.id));
      return results.map((r, i) => ({
        message: r.duplicate ? earlier.get(r.id)! : storedAs(batch[i]!.message, r.id),
        seqs: r.seqs,
        duplicate: r.duplicate,
      }));
    });
  }

  private async appendBatch(trx: Transaction<Database>, items: readonly PendingAppend[]): Promise<Appended[]> {
    const key = (senderId: string, messageId: string) => `${senderId} ${messageId}`;
    const stored = new Map<string, StoredMessage>();
    const pairs = sql.join(items.map((i) => sql`(${i.message.sender.id}, ${i.message.messageId})`));
    const rows = await selectMessages(trx).where(sql<boolean>`(m.sender_id, m.client_message_id) in (values ${pairs})`).execute();
    for (const row of rows as MessageRow[]) stored.set(key(row.sender_id, row.client_message_id), toMessage(row));

    // New messages in order; a messageId repeated within the batch is a duplicate of the first.
    const fresh: PendingAppend[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const k = key(item.message.sender.id, item.message.messageId);
      if (stored.has(k) || seen.has(k)) continue;
      seen.add(k);
      fresh.push(item);
    }
    const ids = new Map<string, number>();
    for (let i = 0; i < fresh.length; i += INSERT_CHUNK) {
      const inserted = await trx
        .insertInto('messages')
        .values(fresh.slice(i, i + INSERT_CHUNK).map(({ message: m }) => ({
          sender_id: m.sender.id, target_id: m.target.id, conversation: m.conversation, conversation_key: conversationIndexKey(m.conversation), client_message_id: m.messageId,
          text: m.text, created_at: m.createdAt, recalled_at: null,
        })))
        .returning(['id', 'sender_id', 'client_message_id'])
        .execute();
      for (const row of inserted) ids.set(key(row.sender_id, row.client_message_id), Number(row.id));
    }

    const recipientsOf = fresh.map((item) => [...new Set(item.recipients)]);
    const seqsOf = await this.fanOut(trx, fresh.map((item, i) => ({ messageId: ids.get(key(item.message.sender.id, item.message.messageId))!, recipients: recipientsOf[i]! })), 2001);
    const appended = new Map<string, Appended>();
    fresh.forEach((item, i) => {
      const k = key(item.message.sender.id, item.message.messageId);
      const message = storedAs(item.message, ids.get(k)!);
      stored.set(k, message);
      appended.set(k, { message, seqs: seqsOf[i]!, duplicate: false });
    });
    return items.map((item) => {
      const k = key(item.message.sender.id, item.message.messageId);
      const first = appended.get(k);
      appended.delete(k); // any later item with this key is a duplicate of this one
      return first ?? { message: stored.get(k)!, seqs: new Map(), duplicate: true };
    });
  }

  async messageBySender(senderId: string, clientMessageId: string): Promise<StoredMessage | null> {
    const row = await selectMessages(this.db).where('m.sender_id', '=', senderId).where('m.client_message_id', '=', clientMessageId).executeTakeFirst();
    return row ? toMessage(row as MessageRow) : null;
  }

  async recallMessage(messageId: number, at: number, recipients: readonly string[]): Promise<Map<string, number>> {
    const log = this.sqliteLog;
    if (log) return this.db.connection().execute(() => log.recall(messageId, at, recipients));
    return this.db.transaction().execute(async (trx) => {
      await trx.updateTable('messages').set({ recalled_at: at }).where('id', '=', messageId).execute();
      const [seqs] = await this.fanOut(trx, [{ messageId, recipients: [...new Set(recipients)] }], 2004);
      return seqs!;
    });
  }

  async history(conversation: string, beforeId: number | null, limit: number): Promise<StoredMessage[]> {
    // The index narrows to the conversation's integer; the text rules out another that shares it.
    let query = selectMessages(this.db).where('m.conversation_key', '=', conversationIndexKey(conversation)).where('m.conversation', '=', conversation);
    if (beforeId !== null) query = query.where('m.id', '<', beforeId);
    const rows = await query.orderBy('m.id', 'desc').limit(limit).execute();
    return (rows as MessageRow[]).map(toMessage).reverse();
  }

  async inboxAfter(userId: string, since: number, limit: number): Promise<InboxEntry[]> {
    const rows = await selectMessages(this.db)
      .innerJoin('inbox as i', 'i.message_id', 'm.id')
      .select(['i.seq', 'i.kind'])
      .where('i.user_id', '=', userId)
      .where('i.seq', '>', since)
      .orderBy('i.seq')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ seq: Number(r.seq), kind: r.kind as InboxKind, message: toMessage(r as unknown as MessageRow) }));
  }

  async lastInboxSeq(userId: string): Promise<number> {
    const row = await this.db.selectFrom('inbox').select((eb) => eb.fn.max('seq').as('top')).where('user_id', '=', userId).executeTakeFirst();
    return row?.top == null ? 0 : Number(row.top);
  }

  /**
   * One commit for all the marks: the marks of every user with sessions are written each
   * second, and one transaction per user was one commit (a disk flush) per user per second.
   */
  async markDelivered(marks: ReadonlyMap<string, number>): Promise<void> {
    const log = this.sqliteLog;
    // On SQLite the commit (a disk flush, a few milliseconds for a thousand users) would
    // stall the event loop every second; the writer thread takes it instead.
    if (log) return this.db.connection().execute(() => log.markDelivered([...marks]));
    const ids = [...marks.keys()].sort();
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
        const chunk = ids.slice(i, i + INSERT_CHUNK);
        // The rows are locked in id order, as the group commit locks them, so the two cannot deadlock.
        await trx.selectFrom('accounts').select('id').where('id', 'in', chunk).orderBy('id').forNoKeyUpdate().execute();
        const rows = sql.join(chunk.map((id) => sql`(${id}, cast(${marks.get(id)!} as bigint))`));
        // VALUES names its columns column1, column2 in both SQLite and PostgreSQL.
        await sql`update accounts set delivered_seq = v.column2 from (values ${rows}) as v
          where accounts.id = v.column1 and accounts.delivered_seq < v.column2`.execute(trx);
      }
    });
  }

  /**
   * Numbers events in their recipients' inboxes, in the order given, and writes the inbox
   * rows. Each recipient's counter is raised once per batch; on PostgreSQL the counter rows
   * are locked in id order (so two batches cannot deadlock) until commit, so numbers become
   * visible in order: a reader that has seen n never later finds a smaller one appear.
   */
  private async fanOut(trx: Transaction<Database>, events: { messageId: number; recipients: string[] }[], kind: InboxKind): Promise<Map<string, number>[]> {
    const counts = new Map<string, number>();
    for (const e of events) for (const r of e.recipients) counts.set(r, (counts.get(r) ?? 0) + 1);
    const next = new Map<string, number>();
    const users = [...counts.keys()].sort();
    for (let i = 0; i < users.length; i += INSERT_CHUNK) {
      const chunk = users.slice(i, i + INSERT_CHUNK);
      if (this.kind === 'postgres') {
        // NO KEY UPDATE, not UPDATE: the rows inserted in this batch (messages, inbox) hold
        // KEY SHARE locks on these accounts through their foreign keys, in no particular order;
        // an UPDATE lock would conflict with another node's, and two batches could deadlock.
        await trx.selectFrom('accounts').select('id').where('id', 'in', chunk).orderBy('id').forNoKeyUpdate().execute();
      }
      const raise = sql.join(chunk.map((id) => sql`when ${id} then cast(${counts.get(id)!} as bigint)`), sql` `);
      const rows = await trx
        .updateTable('accounts')
        .set({ inbox_seq: sql<number>`inbox_seq + case id ${raise} end` })
        .where('id', 'in', chunk)
        .returning(['id', 'inbox_seq'])
        .execute();
      for (const row of rows) next.set(row.id, Number(row.inbox_seq) - counts.get(row.id)! + 1);
    }
    const entries: { user_id: string; seq: number; kind: number; message_id: number }[] = [];
    const seqs = events.map((e) => {
      const mine = new Map<string, number>();
      for (const r of e.recipients) {
        const seq = next.get(r);
        if (seq === undefined) continue; // the account is gone
        next.set(r, seq + 1);
        mine.set(r, seq);
        entries.push({ user_id: r, seq, kind, message_id: e.messageId });
      }
      return mine;
    });
    for (let i = 0; i < entries.length; i += INBOX_CHUNK) await trx.insertInto('inbox').values(entries.slice(i, i + INBOX_CHUNK)).execute();
    return seqs;
  }
}

async function readPair(db: Kysely<Database> | Transaction<Database>, actor: string, peer: string): Promise<RelationPair> {
  const rows = await db
    .selectFrom('relations')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('owner_id', '=', actor), eb('peer_id', '=', peer)]),
        eb.and([eb('owner_id', '=', peer), eb('peer_id', '=', actor)]),
      ]),
    )
    .execute();
  return {
    mine: toEdge(rows.find((r) => r.owner_id === actor)),
    theirs: toEdge(rows.find((r) => r.owner_id === peer)),
  };
}

async function writeEdge(trx: Transaction<Database>, owner: string, peer: string, edge: Edge | null, now: number) {
  if (!edge) {
    await trx.deleteFrom('relations').where('owner_id', '=', owner).where('peer_id', '=', peer).execute();
    return;
  }
  await trx
    .insertInto('relations')
    .values({ owner_id: owner, peer_id: peer, state: edge.state, alias: edge.alias, note: edge.note, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['owner_id', 'peer_id']).doUpdateSet({ state: edge.state, alias: edge.alias, note: edge.note, updated_at: now }),
    )
    .execute();
}

/** A new message as stored under its row id (spelled out: a spread per message cost more, at every commit). */
function storedAs(m: NewMessage, id: number): StoredMessage {
  return { id, messageId: m.messageId, sender: m.sender, target: m.target, conversation: m.conversation, text: m.text, createdAt: m.createdAt, recalledAt: null };
}

function selectMessages(db: Kysely<Database> | Transaction<Database>) {
  return db
    .selectFrom('messages as m')
    .innerJoin('accounts as s', 's.id', 'm.sender_id')
    .innerJoin('accounts as t', 't.id', 'm.target_id')
    .select([
      'm.id', 'm.sender_id', 'm.target_id', 'm.conversation', 'm.client_message_id', 'm.text', 'm.created_at', 'm.recalled_at',
      's.account as s_account', 's.kind as s_kind', 't.account as t_account', 't.kind as t_kind',
    ]);
}

async function messagesByIds(db: Kysely<Database>, ids: number[]): Promise<Map<number, StoredMessage>> {
  if (!ids.length) return new Map();
  const rows = await selectMessages(db).where('m.id', 'in', ids).execute();
  return new Map((rows as MessageRow[]).map((r) => [Number(r.id), toMessage(r)]));
}
