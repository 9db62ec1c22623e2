import type { Account } from '../domain/account.js';
import type { InboxEntry, NewMessage, StoredMessage } from '../domain/message.js';
import type { Role } from '../domain/monster.js';
import type { RelationPair } from '../domain/relation.js';
import type { FederationStore } from './federation-store.js';

export interface AccountRecord extends Account {
  passwordHash: string;
  /** Hash of the join pass code; empty when none is set. */
  passCodeHash: string;
}

/** The account without its password and pass code hashes, to hand beyond the services. */
export function withoutSecrets(record: AccountRecord): Account {
  const { passwordHash: _password, passCodeHash: _passCode, ...account } = record;
  return account;
}

export type AccountChanges = Partial<Pick<AccountRecord, 'name' | 'picture' | 'sex' | 'birthday' | 'sign' | 'policy' | 'passCodeHash' | 'publicFields'>>;

export interface Membership {
  account: Account;
  role: Role;
}

export interface Appended {
  message: StoredMessage;
  /** Each recipient's inbox sequence number for it; empty when it was a duplicate. */
  seqs: Map<string, number>;
  /** True when the sender had already sent a message with this messageId. */
  duplicate: boolean;
}

/**
 * Told once a message handed to `Store.appendMessage` is committed, or that it could not be.
 * Neither method may throw: they are called from the group commit's loop.
 */
export interface AppendWaiter {
  appended(result: Appended): void;
  failed(err: unknown): void;
}

/** `Store.appendMessage` as a promise, for callers whose messages do not wait in bulk. */
export function appendMessage(store: Pick<Store, 'appendMessage'>, message: NewMessage, recipients: readonly string[]): Promise<Appended> {
  return new Promise((appended, failed) => store.appendMessage(message, recipients, { appended, failed }));
}

export interface FriendRecord {
  peer: Account;
  alias: string;
}

export interface RequestRecord {
  from: Account;
  note: string;
}

export interface TokenAccount {
  account: AccountRecord;
  expiresAt: number;
}

/** Everything a new session starts from, read together. */
export interface SessionStart {
  friends: FriendRecord[];
  requests: RequestRecord[];
  /** Groups and channels with the user's role in each, pending applications included. */
  groups: Membership[];
  /** Everyone who has the user as a friend, with the alias each of them gave it. */
  watchers: { ownerId: string; alias: string }[];
  /** The user's delivered mark (see markDelivered). */
  deliveredSeq: number;
  /** The number of the user's newest inbox entry (0 if none). */
  lastInboxSeq: number;
}

/**
 * Everything monami keeps. One interface, one SQL implementation for SQLite and
 * PostgreSQL; callers speak in domain terms and never see SQL.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Federation's tables in the same database. */
  federation(): FederationStore;

  /** False when the account name is taken. */
  createAccount(account: AccountRecord): Promise<boolean>;
  accountById(id: string): Promise<AccountRecord | null>;
  accountByName(account: string): Promise<AccountRecord | null>;
  updateAccount(id: string, changes: AccountChanges): Promise<void>;
  deleteAccount(id: string): Promise<void>;
  /** People whose account name or nickname contains `query`, case-insensitively. */
  searchPeople(query: string, limit: number, excludeId: string): Promise<Account[]>;

  insertToken(tokenHash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void>;
  /** The token's account, if the token exists and has not expired at `now`. */
  tokenAccount(tokenHash: string, now: number): Promise<TokenAccount | null>;
  extendToken(tokenHash: string, expiresAt: number): Promise<void>;
  deleteToken(tokenHash: string): Promise<void>;
  deleteExpiredTokens(now: number): Promise<number>;

  relation(actor: string, peer: string): Promise<RelationPair>;
  /**
   * Reads the relation between actor and peer, lets `decide` compute the next state, and
   * writes it (unless it returns pair null), atomically with respect to every other change
   * of the same pair.
   */
  transformRelation<T>(
    actor: string,
    peer: string,
    decide: (pair: RelationPair) => { pair: RelationPair | null; result: T },
  ): Promise<T>;
  /** Everyone who has `accountId` as a friend, with the alias each of them gave it. */
  aliasesFor(accountId: string): Promise<{ ownerId: string; alias: string }[]>;
  /** A user's friends, requests, groups, watchers and inbox positions, as one read. */
  sessionStart(accountId: string): Promise<SessionStart>;

  /** Adds or changes a member of a group or channel. */
  setMember(groupId: string, memberId: string, role: Role, note: string): Promise<void>;
  /** False when they were not a member. */
  removeMember(groupId: string, memberId: string): Promise<boolean>;
  roleOf(groupId: string, memberId: string): Promise<Role | null>;
  membersOf(groupId: string): Promise<Membership[]>;
  /** Ids of members in the given roles. */
  memberIdsOf(groupId: string, roles: readonly Role[]): Promise<string[]>;

  /**
   * Stores a message and gives every recipient an inbox entry for it, in one transaction.
   * A second message with the same sender and messageId is not stored again. The waiter
   * itself waits in the group commit's queue: at full load thousands of messages wait for
   * their commit at once, and a promise per message (with its resolvers and reactions) was
   * a large share of what the collector had to copy and promote.
   */
  appendMessage(message: NewMessage, recipients: readonly string[], waiter: AppendWaiter): void;
  messageBySender(senderId: string, clientMessageId: string): Promise<StoredMessage | null>;
  /** Marks a message recalled and gives every recipient an inbox entry saying so. */
  recallMessage(messageId: number, at: number, recipients: readonly string[]): Promise<Map<string, number>>;
  /** A conversation's messages before `beforeId` (all if null), oldest first. */
  history(conversation: string, beforeId: number | null, limit: number): Promise<StoredMessage[]>;
  /** A user's inbox entries after `since`, in order. */
  inboxAfter(userId: string, since: number, limit: number): Promise<InboxEntry[]>;
  /** The number of the user's newest inbox entry (0 if none). */
  lastInboxSeq(userId: string): Promise<number>;
  /** Raises each user's delivered mark to the number given (never lowers one), all in one transaction. */
  markDelivered(marks: ReadonlyMap<string, number>): Promise<void>;
}
