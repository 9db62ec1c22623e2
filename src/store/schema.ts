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
  policy: string;
  pass_hash: string;
  public_fields: string;
  inbox_seq: number;
  delivered_seq: number;
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

export interface MembersTable {
  group_id: string;
  member_id: string;
  role: string;
  note: string;
  joined_at: number;
}

export interface MessagesTable {
  id: Generated<number>;
  sender_id: string;
  target_id: string;
  conversation: string;
  /** `conversationIndexKey(conversation)`: what the conversation index holds. */
  conversation_key: number;
  client_message_id: string;
  text: string;
  created_at: number;
  recalled_at: number | null;
}

/** One row per recipient per event (a message or a recall), numbered per recipient. */
export interface InboxTable {
  user_id: string;
  seq: number;
  kind: number;
  message_id: number;
}

export interface Database {
  accounts: AccountsTable;
  tokens: TokensTable;
  relations: RelationsTable;
  members: MembersTable;
  messages: MessagesTable;
  inbox: InboxTable;
}

export type { Generated };
