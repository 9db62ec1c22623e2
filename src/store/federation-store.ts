import type { Generated, Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Ids in one `in (…)` list. */
const IDS_PER_STATEMENT = 1000;

type FederationKeysTable = {
  key_id: string;
  private_key: string;
  public_key: string;
  created_at: number;
};

type FederationOutboxTable = {
  id: Generated<number>;
  destination: string;
  actor_id: string;
  frame: string;
  created_at: number;
};

type FederationReceivedTable = {
  origin: string;
  sender: string;
  code: number;
  message_id: string;
  answer: string;
  received_at: number;
};

type FederationPeersTable = {
  domain: string;
  rule: string;
  updated_at: number;
};

type FederationNoncesTable = {
  origin: string;
  nonce: string;
  expires_at: number;
};

type FederationLeasesTable = {
  destination: string;
  holder: string;
  until: number;
};

type FederationPostsTable = {
  author_id: string;
  group_id: string;
  client_message_id: string;
  posted_at: number;
};

type FederationTables = {
  federation_posts: FederationPostsTable;
  federation_nonces: FederationNoncesTable;
  federation_leases: FederationLeasesTable;
  federation_keys: FederationKeysTable;
  federation_outbox: FederationOutboxTable;
  federation_received: FederationReceivedTable;
  federation_peers: FederationPeersTable;
};

export interface ServerKey {
  keyId: string;
  /** PKCS#8 PEM. */
  privateKey: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  publicKey: string;
}

export interface OutboxEntry {
  id: number;
  destination: string;
  /** The local account the frame acts for: late answers are told to them. */
  actorId: string;
  frame: Record<string, unknown>;
  createdAt: number;
}

export interface ReceivedKey {
  origin: string;
  sender: string;
  code: number;
  messageId: string;
}

export interface RemoteMember {
  id: string;
  /** The member's address. */
  account: string;
  kind: number;
}

export type PeerRule = 'allow' | 'block';

/** What federation keeps: the server key, the outbox, answers already given, peer rules. */
export class FederationStore {
  private readonly db: Kysely<Database & FederationTables>;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<FederationTables>();
  }

  /** The server's key; the first caller's candidate is kept if none exists yet. */
  async serverKey(candidate: () => ServerKey): Promise<ServerKey> {
    const existing = await this.db.selectFrom('federation_keys').selectAll().orderBy('created_at').limit(1).executeTakeFirst();
    if (existing) return { keyId: existing.key_id, privateKey: existing.private_key, publicKey: existing.public_key };
    const key = candidate();
    await this.db
      .insertInto('federation_keys')
      .values({ key_id: key.keyId, private_key: key.privateKey, public_key: key.publicKey, created_at: Date.now() })
      .onConflict((oc) => oc.doNothing())
      .execute();
    // Another node may have won the race: everyone uses the oldest key.
    return this.serverKey(() => key);
  }

  async enqueue(destination: string, actorId: string, frame: Record<string, unknown>): Promise<number> {
    const row = await this.db
      .insertInto('federation_outbox')
      .values({ destination, actor_id: actorId, frame: JSON.stringify(frame), created_at: Date.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async pending(destination: string, afterId: number, limit: number): Promise<OutboxEntry[]> {
    const rows = await this.db
      .selectFrom('federation_outbox')
      .selectAll()
      .where('destination', '=', destination)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: Number(r.id), destination: r.destination, actorId: r.actor_id, frame: JSON.parse(r.frame), createdAt: Number(r.created_at) }));
  }

  /** Takes frames out of a destination's queue unsent (all of them without ids); returns how many. */
  async dropFromOutbox(destination: string, ids: readonly number[] | 'all'): Promise<number> {
    const drop = this.db.deleteFrom('federation_outbox').where('destination', '=', destination);
    if (ids === 'all') return Number((await drop.executeTakeFirst()).numDeletedRows);
    let dropped = 0;
    // SQLite takes at most 32,766 values in one statement (PostgreSQL 65,535); an operator may paste more ids.
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
      dropped += Number((await drop.where('id', 'in', ids.slice(i, i + IDS_PER_STATEMENT)).executeTakeFirst()).numDeletedRows);
    }
    return dropped;
  }

  async delivered(id: number): Promise<void> {
    await this.db.deleteFrom('federation_outbox').where('id', '=', id).execute();
  }

  /** Destinations with frames waiting, and how many each. */
  async outboxDepths(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('federation_outbox')
      .select(['destination', (eb) => eb.fn.countAll<number>().as('depth')])
      .groupBy('destination')
      .execute();
    return new Map(rows.map((r) => [r.destination, Number(r.depth)]));
  }

  /**
   * Claims a remote frame for handling. `claimed`: this caller handles it; `answered`: it
   * was handled before, with this answer; `busy`: someone else is handling it now. A claim
   * older than `staleMs` (its node died) is taken over.
   */
  async claim(key: ReceivedKey, staleMs: number): Promise<{ state: 'claimed' } | { state: 'answered'; answer: Record<string, unknown> } | { state: 'busy' }> {
    const now = Date.now();
    const inserted = await this.db
      .insertInto('federation_received')
      .values({ origin: key.origin, sender: key.sender, code: key.code, message_id: key.messageId, answer: '', received_at: now })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { state: 'claimed' };
    const row = await this.received(key).select(['answer', 'received_at']).executeTakeFirst();
    if (!row) return this.claim(key, staleMs);
    if (row.answer !== '') return { state: 'answered', answer: JSON.parse(row.answer) };
    if (now - Number(row.received_at) < staleMs) return { state: 'busy' };
    const taken = await this.db
      .updateTable('federation_received')
      .set({ received_at: now })
      .where('origin', '=', key.origin).where('sender', '=', key.sender).where('code', '=', key.code).where('message_id', '=', key.messageId)
      .where('answer', '=', '').where('received_at', '=', row.received_at)
      .executeTakeFirst();
    return Number(taken.numUpdatedRows) === 1 ? { state: 'claimed' } : { state: 'busy' };
  }

  /** Records the answer to a claimed frame; null gives the claim up (it will be handled again). */
  async settleClaim(key: ReceivedKey, answer: Record<string, unknown> | null): Promise<void> {
    const where = <Q extends { where: (...a: any[]) => Q }>(q: Q) =>
      q.where('origin', '=', key.origin).where('sender', '=', key.sender).where('code', '=', key.code).where('message_id', '=', key.messageId);
    if (answer === null) await where(this.db.deleteFrom('federation_received')).execute();
    else await where(this.db.updateTable('federation_received').set({ answer: JSON.stringify(answer), received_at: Date.now() })).execute();
  }

  private received(key: ReceivedKey) {
    return this.db
      .selectFrom('federation_received')
      .where('origin', '=', key.origin)
      .where('sender', '=', key.sender)
      .where('code', '=', key.code)
      .where('message_id', '=', key.messageId);
  }

  /** False when this origin already used the nonce (a replayed handshake), on any node. */
  async useNonce(origin: string, nonce: string, expiresAt: number): Promise<boolean> {
    const inserted = await this.db
      .insertInto('federation_nonces')
      .values({ origin, nonce, expires_at: expiresAt })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async forgetNoncesBefore(at: number): Promise<void> {
    await this.db.deleteFrom('federation_nonces').where('expires_at', '<', at).execute();
  }

  /**
   * Takes or renews the lease of a destination for `holder` until `until`: true when it
   * holds it (it was free, expired, or already its own).
   */
  async lease(destination: string, holder: string, until: number): Promise<boolean> {
    const now = Date.now();
    await this.db
      .insertInto('federation_leases')
      .values({ destination, holder, until })
      .onConflict((oc) => oc.column('destination').doUpdateSet({ holder, until }).where((eb) => eb.or([eb('federation_leases.until', '<', now), eb('federation_leases.holder', '=', holder)])))
      .execute();
    const row = await this.db.selectFrom('federation_leases').select('holder').where('destination', '=', destination).executeTakeFirst();
    return row?.holder === holder;
  }

  async releaseLease(destination: string, holder: string): Promise<void> {
    await this.db.deleteFrom('federation_leases').where('destination', '=', destination).where('holder', '=', holder).execute();
  }

  /** Records that a local person sent a post to a group of another server (again: no change). */
  async notePost(authorId: string, groupId: string, clientMessageId: string, at: number): Promise<void> {
    await this.db
      .insertInto('federation_posts')
      .values({ author_id: authorId, group_id: groupId, client_message_id: clientMessageId, posted_at: at })
      .onConflict((oc) => oc.columns(['author_id', 'group_id', 'client_message_id']).doNothing())
      .execute();
  }

  async wasPosted(authorId: string, groupId: string, clientMessageId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('federation_posts')
      .select('posted_at')
      .where('author_id', '=', authorId)
      .where('group_id', '=', groupId)
      .where('client_message_id', '=', clientMessageId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async forgetPostsBefore(at: number): Promise<number> {
    const result = await this.db.deleteFrom('federation_posts').where('posted_at', '<', at).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async forgetAnswersBefore(at: number): Promise<number> {
    const result = await this.db.deleteFrom('federation_received').where('received_at', '<', at).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** A group's members that are accounts of other servers (their names are addresses). */
  async remoteMembersOf(groupId: string, roles: readonly string[]): Promise<RemoteMember[]> {
    return this.db
      .selectFrom('members')
      .innerJoin('accounts', 'accounts.id', 'members.member_id')
      .select(['accounts.id', 'accounts.account', 'accounts.kind'])
      .where('members.group_id', '=', groupId)
      .where('members.role', 'in', [...roles])
      .where('accounts.account', 'like', '@%')
      .execute() as Promise<RemoteMember[]>;
  }

  /** The other servers' accounts a person deals with: their friends, and the groups and channels they belong to or applied to. */
  async remoteContactsOf(personId: string): Promise<RemoteMember[]> {
    return this.db
      .selectFrom('accounts')
      .select(['id', 'account', 'kind'])
      .where('account', 'like', '@%')
      .where((eb) =>
        eb.or([
          eb('id', 'in', eb.selectFrom('relations').select('owner_id').where('peer_id', '=', personId).where('state', '=', 'friend')),
          eb('id', 'in', eb.selectFrom('members').select('group_id').where('member_id', '=', personId)),
        ]),
      )
      .execute() as Promise<RemoteMember[]>;
  }

  async peerRules(): Promise<Map<string, PeerRule>> {
    const rows = await this.db.selectFrom('federation_peers').selectAll().execute();
    return new Map(rows.map((r) => [r.domain, r.rule as PeerRule]));
  }

  async setPeerRule(domain: string, rule: PeerRule | null): Promise<void> {
    if (rule === null) {
      await this.db.deleteFrom('federation_peers').where('domain', '=', domain).execute();
      return;
    }
    await this.db
      .insertInto('federation_peers')
      .values({ domain, rule, updated_at: Date.now() })
      .onConflict((oc) => oc.column('domain').doUpdateSet({ rule, updated_at: Date.now() }))
      .execute();
  }
}
