import type { Problem } from './errors.js';

/**
 * A conversation's messages. Stored messages (Monster 2001) are identified by their sender
 * and the sender's messageId, ordered by the server's time and id; messages still being
 * sent and live dialogues have no id yet and sit where their time puts them.
 */

/** `queued`: accepted by this server for another one (a remote group), not yet taken there. */
export type MessageState = 'sending' | 'queued' | 'stored' | 'failed' | 'received';

export interface ChatMessage {
  /** `from` + newline + `messageId`: unique across conversations. */
  key: string;
  messageId: string;
  /** The server's number for a stored message. */
  id?: number;
  from: string;
  to: string;
  text: string;
  time: number;
  state: MessageState;
  recalled?: boolean;
  problem?: Problem;
  /** A minami dialogue: relayed live, never stored. */
  live?: boolean;
}

export type OlderState = 'idle' | 'loading' | 'done' | 'error';

export interface Conversation {
  address: string;
  messages: ChatMessage[];
  /** The latest history page has been read. */
  latestLoaded: boolean;
  older: OlderState;
  /** The newest message known, even when the messages themselves are not loaded. */
  last?: ChatMessage;
}

export const messageKey = (from: string, messageId: string) => `${from}\n${messageId}`;

function compare(a: ChatMessage, b: ChatMessage): number {
  if (a.id !== undefined && b.id !== undefined) return a.id - b.id;
  if (a.time !== b.time) return a.time - b.time;
  return (a.id ?? Number.MAX_SAFE_INTEGER) - (b.id ?? Number.MAX_SAFE_INTEGER);
}

/** Merges messages into a list: new ones are added, known ones updated; the result is sorted. */
export function mergeMessages(list: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  if (!incoming.length) return list as ChatMessage[];
  const byKey = new Map(list.map((m) => [m.key, m]));
  for (const m of incoming) {
    const known = byKey.get(m.key);
    if (!known) byKey.set(m.key, m);
    else {
      // Once recalled, always recalled; a stored copy wins over a local one.
      const merged: ChatMessage = { ...known, ...m, recalled: known.recalled || m.recalled };
      if (merged.recalled) merged.text = '';
      if (known.state === 'stored' && m.state === 'received') merged.state = 'stored';
      byKey.set(m.key, merged);
    }
  }
  return [...byKey.values()].sort(compare);
}

export function emptyConversation(address: string): Conversation {
  return { address, messages: [], latestLoaded: false, older: 'idle' };
}

export function lastOf(conv: Conversation): ChatMessage | undefined {
  const fromList = conv.messages[conv.messages.length - 1];
  if (!fromList) return conv.last;
  if (!conv.last) return fromList;
  return compare(fromList, conv.last) >= 0 ? fromList : conv.last;
}

/** The smallest stored id: the cursor for the page before. */
export function oldestId(conv: Conversation): number | undefined {
  let min: number | undefined;
  for (const m of conv.messages) if (m.id !== undefined && (min === undefined || m.id < min)) min = m.id;
  return min;
}
