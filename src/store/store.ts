import type { Account } from '../domain/account.js';
import type { RelationPair } from '../domain/relation.js';

export interface AccountRecord extends Account {
  passwordHash: string;
}

export interface FriendRecord {
  peer: Account;
  alias: string;
}

export interface RequestRecord {
  from: Account;
  note: string;
}

export interface TokenRecord {
  accountId: string;
  expiresAt: number;
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

  /** False when the account name is taken. */
  createAccount(account: AccountRecord): Promise<boolean>;
  accountById(id: string): Promise<AccountRecord | null>;
  accountByName(account: string): Promise<AccountRecord | null>;
  /** People whose account name or nickname contains `query`, case-insensitively. */
  searchPeople(query: string, limit: number, excludeId: string): Promise<Account[]>;

  insertToken(tokenHash: string, accountId: string, createdAt: number, expiresAt: number): Promise<void>;
  /** The token's owner, if the token exists and has not expired at `now`. */
  tokenOwner(tokenHash: string, now: number): Promise<TokenRecord | null>;
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
  friendsOf(accountId: string): Promise<FriendRecord[]>;
  friendIdsOf(accountId: string): Promise<string[]>;
  /** Everyone who has `accountId` as a friend, with the alias each of them gave it. */
  aliasesFor(accountId: string): Promise<{ ownerId: string; alias: string }[]>;
  requestsTo(accountId: string): Promise<RequestRecord[]>;
}
