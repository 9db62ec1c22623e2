import { Migrator, sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Account, AccountKind } from '../domain/account.js';
import type { Edge, RelationPair } from '../domain/relation.js';
import { migrationProvider } from './migrations.js';
import type { AccountsTable, Database, RelationsTable } from './schema.js';
import type { AccountRecord, FriendRecord, RequestRecord, Store, TokenRecord } from './store.js';

const toAccount = (row: Selectable<AccountsTable>): Account => ({
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
});

const toRecord = (row: Selectable<AccountsTable>): AccountRecord => ({ ...toAccount(row), passwordHash: row.password_hash });

const toEdge = (row: Selectable<RelationsTable> | undefined): Edge | null =>
  row ? { state: row.state, alias: row.alias, note: row.note } : null;

/** Column list of accounts joined under the `a` alias. */
const accountColumns = [
  'a.id', 'a.account', 'a.kind', 'a.password_hash', 'a.name', 'a.picture', 'a.sex', 'a.birthday', 'a.sign', 'a.mail', 'a.created_at',
] as const;

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
  ) {}

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  async createAccount(a: AccountRecord): Promise<boolean> {
    try {
      await this.db
        .insertInto('accounts')
        .values({
          id: a.id, account: a.account, kind: a.kind, password_hash: a.passwordHash, name: a.name, picture: a.picture,
          sex: a.sex, birthday: a.birthday, sign: a.sign, mail: a.mail, created_at: a.createdAt,
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

  async searchPeople(query: string, limit: number, excludeId: string): Promise<Account[]> {
    const pattern = likePattern(query);
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('kind', '=', 1)
      .where('id', '!=', excludeId)
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

  async tokenOwner(tokenHash: string, now: number): Promise<TokenRecord | null> {
    const row = await this.db
      .selectFrom('tokens')
      .select(['account_id', 'expires_at'])
      .where('token_hash', '=', tokenHash)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row ? { accountId: row.account_id, expiresAt: Number(row.expires_at) } : null;
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
        await trx.selectFrom('accounts').select('id').where('id', 'in', [actor, peer]).orderBy('id').forUpdate().execute();
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

  async friendsOf(accountId: string): Promise<FriendRecord[]> {
    const rows = await this.db
      .selectFrom('relations as r')
      .innerJoin('accounts as a', 'a.id', 'r.peer_id')
      .select([...accountColumns, 'r.alias'])
      .where('r.owner_id', '=', accountId)
      .where('r.state', '=', 'friend')
      .orderBy('r.updated_at')
      .execute();
    return rows.map((row) => ({ peer: toAccount(row), alias: row.alias }));
  }

  async friendIdsOf(accountId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('relations')
      .select('peer_id')
      .where('owner_id', '=', accountId)
      .where('state', '=', 'friend')
      .execute();
    return rows.map((r) => r.peer_id);
  }

  async aliasesFor(accountId: string): Promise<{ ownerId: string; alias: string }[]> {
    const rows = await this.db
      .selectFrom('relations')
      .select(['owner_id', 'alias'])
      .where('peer_id', '=', accountId)
      .where('state', '=', 'friend')
      .execute();
    return rows.map((r) => ({ ownerId: r.owner_id, alias: r.alias }));
  }

  async requestsTo(accountId: string): Promise<RequestRecord[]> {
    const rows = await this.db
      .selectFrom('relations as r')
      .innerJoin('accounts as a', 'a.id', 'r.owner_id')
      .select([...accountColumns, 'r.note'])
      .where('r.peer_id', '=', accountId)
      .where('r.state', '=', 'requested')
      .orderBy('r.updated_at')
      .execute();
    return rows.map((row) => ({ from: toAccount(row), note: row.note }));
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
