import { hash } from 'node:crypto';

/**
 * The integer a conversation is indexed by: 48 bits of a digest of its key. A 1:1
 * conversation's key is two 32-hex account ids (65 characters); indexed as text, each
 * message's entry was five times larger, and in a growing database the index's pages were
 * over a quarter of what every group commit wrote. Two conversations may share an integer: reads
 * also match the text itself, so the integer only narrows where they look.
 */
export function conversationIndexKey(conversation: string): number {
  return hash('sha1', conversation, 'buffer').readUIntBE(0, 6);
}
