import type { InfoTitle, JoinPolicy } from './monster.js';

/** Account kinds, numbered as the Monster protocol's accountType. */
export const AccountKind = { Person: 1, Group: 2, Channel: 3 } as const;
export type AccountKind = (typeof AccountKind)[keyof typeof AccountKind];

export interface Profile {
  name: string;
  picture: string;
  sex: string;
  birthday: string;
  sign: string;
}

export interface Account extends Profile {
  /** 32 lowercase hex characters: the account's minami id. */
  id: string;
  /** The login name, also the local part of its Monster address. */
  account: string;
  kind: AccountKind;
  mail: string;
  createdAt: number;
  /** Who may befriend or join it without approval (Monster 1001). */
  policy: JoinPolicy;
  /** What 1000 `info` shows to anyone. */
  publicFields: InfoTitle[];
}

/** The least needed to name an account in a frame. */
export interface AccountRef {
  id: string;
  account: string;
  kind: AccountKind;
}

/**
 * Account names become URL paths (`ws://host/<name>`), so they are restricted to a safe,
 * case-folded alphabet, and names that are the server's own paths are reserved.
 */
const ACCOUNT_NAME = /^[a-z0-9][a-z0-9_.-]{0,31}$/;
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'im', 'api', 'metrics', 'healthz', 'health', 'readyz', 'well-known', '.well-known',
  'admin', 'root', 'www', 'static', 'assets', 'favicon.ico', 'robots.txt', 'federation',
  'user', 'users', 'group', 'groups', 'channel', 'channels', 'system', 'monami',
]);

export function normaliseAccountName(raw: string): string {
  return raw.toLowerCase();
}

export function isValidAccountName(name: string): boolean {
  return ACCOUNT_NAME.test(name) && !RESERVED_NAMES.has(name);
}

/**
 * A person, group or channel of another server that local users relate to is kept as an
 * account too, so relations, memberships and messages name it like any other. Its name
 * is its full Monster address, which no local name can be (local names never hold `@`).
 */
export function isRemoteAccount(account: Pick<Account, 'account'>): boolean {
  return account.account.startsWith('@');
}

/** Upper bounds on stored fields, in characters. Pictures are base64 text. */
export const FieldLimits = {
  password: 256,
  mail: 254,
  name: 64,
  sex: 16,
  birthday: 32,
  sign: 256,
  picture: 512 * 1024,
  note: 256,
  alias: 64,
  search: 64,
  dialogueId: 128,
  payload: 32 * 1024,
} as const;


/** Events a session can receive; adapters render them in their protocol's dialect. */
export interface FriendView extends Profile {
  id: string;
  account: string;
  online: boolean;
  /** A remote friend's Monster address (its `id` is derived from it). */
  address?: string;
}

export interface FriendRequestView {
  /** The requester. */
  id: string;
  account: string;
  name: string;
  /** The requested (the recipient of this view). */
  to: string;
  note: string;
  /** A remote requester's Monster address. */
  address?: string;
}
