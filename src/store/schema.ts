import type { Generated } from 'kysely';

export interface AccountsTable {
  id: string;
  account: string;
  kind: number;
  password_hash: string;
  name: string;
  picture: string;
  sex: string;
  birthday: string;
  sign: string;
  mail: string;
  created_at: number;
}

export interface TokensTable {
  token_hash: string;
  account_id: string;
  created_at: number;
  expires_at: number;
}

/** One row per direction: owner's edge towards peer (a request or a friendship). */
export interface RelationsTable {
  owner_id: string;
  peer_id: string;
  state: 'requested' | 'friend';
  alias: string;
  note: string;
  updated_at: number;
}

export interface Database {
  accounts: AccountsTable;
  tokens: TokensTable;
  relations: RelationsTable;
}

export type { Generated };
