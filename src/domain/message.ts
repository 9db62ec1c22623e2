import type { AccountRef } from './account.js';

/** A stored (Monster 2001) message, as history and inboxes hold it. */
export interface StoredMessage {
  /** Server-wide row id: orders a conversation, pages its history. */
  id: number;
  /** The sender's messageId, unique per sender: makes a resent frame harmless. */
  messageId: string;
  sender: AccountRef;
  /** A person, or the group or channel it was posted to. */
  target: AccountRef;
  conversation: string;
  /** base64, as the frame carried it. */
  text: string;
  createdAt: number;
  recalledAt: number | null;
}

export type NewMessage = Omit<StoredMessage, 'id' | 'recalledAt'>;

export const InboxKind = { Message: 2001, Recall: 2004 } as const;
export type InboxKind = (typeof InboxKind)[keyof typeof InboxKind];

/** Something a user is to receive, numbered in the order they are to receive it. */
export interface InboxEntry {
  seq: number;
  kind: InboxKind;
  message: StoredMessage;
}
