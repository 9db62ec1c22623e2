import { isRemoteAccount, type AccountRef } from '../domain/account.js';
import type { SessionEvent } from '../domain/events.js';
import type { InboxEntry, StoredMessage } from '../domain/message.js';
import { Status } from '../domain/monster.js';

/** The seed writes every number in a Monster frame as a string. */
const str = (n: number) => String(n);

/** A local account's address on this server; a remote account's name already is its address. */
export const addressOf = (ref: Pick<AccountRef, 'account'>, domain: string) => (isRemoteAccount(ref) ? ref.account : `@${ref.account}:${domain}`);

/** An answer to a request: the request's messageId and code echoed, a statusCode, and fields. */
export function answer(messageId: string, code: number | null, status: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { messageId, ...(code === null ? {} : { code: str(code) }), statusCode: str(status), ...fields };
}

export function refusal(messageId: string, code: number | null, status: number, reason: string): Record<string, unknown> {
  return answer(messageId, code, status, { error: reason });
}

/** A message as history and pushes show it; a recalled message keeps its place, not its text. */
export function messageFields(m: StoredMessage, domain: string): Record<string, unknown> {
  return {
    messageId: m.messageId,
    id: m.id,
    from: addressOf(m.sender, domain),
    to: addressOf(m.target, domain),
    text: m.recalledAt === null ? m.text : '',
    time: m.createdAt,
    ...(m.recalledAt === null ? {} : { recalled: true }),
  };
}

export function inboxFrame(entry: InboxEntry, domain: string): Record<string, unknown> {
  const m = entry.message;
  if (entry.kind === 2004) {
    return {
      code: '2004', statusCode: str(Status.Push), messageId: m.messageId, recallMessageId: m.messageId, seq: entry.seq,
      from: addressOf(m.sender, domain), to: addressOf(m.target, domain), time: m.recalledAt,
    };
  }
  return { code: '2001', statusCode: str(Status.Push), seq: entry.seq, ...messageFields(m, domain) };
}

/** Monster pushes for session events; null for events that are not Monster's to render. */
export function monsterEventFrame(event: SessionEvent, domain: string): Record<string, unknown> | null {
  const push = (code: number, fields: Record<string, unknown>) => ({ code: str(code), statusCode: str(Status.Push), ...fields });
  switch (event.type) {
    case 'inbox':
      return inboxFrame(event.entry, domain);
    case 'application':
      return push(1001, { from: addressOf(event.from, domain), to: addressOf(event.to, domain), note: event.note });
    case 'application-answered':
      return push(event.accepted ? 1002 : 1003, { from: addressOf(event.group, domain), type: event.accepted ? '1' : '3' });
    case 'group-renamed':
      return push(3102, { from: addressOf(event.group, domain), nickname: event.group.name, accountType: str(event.group.kind) });
    case 'membership-ended':
      return push(1004, { from: addressOf(event.group, domain), member: addressOf(event.member, domain), reason: event.reason });
    case 'remote-answer':
      return event.frame;
    case 'call': {
      const s = event.signal;
      return push(s.code, {
        callId: s.callId, from: addressOf(s.from, domain), to: addressOf(s.to, domain),
        ...(s.text !== undefined ? { text: s.text } : {}), ...(s.reason !== undefined ? { reason: s.reason } : {}),
      });
    }
    default:
      return null;
  }
}

/**
 * An inbox push as JSON text. Fan-out sends one message to many recipients, one after
 * another, and only `seq` differs: the rest is serialised once and reused while the same
 * message is being delivered (a one-entry memory: a table keyed by message cost every 1:1
 * message a table entry of its own, which the collector then had to trace).
 */
let lastMessage: StoredMessage | null = null;
let lastKind = 0;
let lastDomain = '';
let lastTail = '';

export function inboxFrameText(entry: InboxEntry, domain: string): string {
  if (entry.message !== lastMessage || entry.kind !== lastKind || domain !== lastDomain) {
    const { seq: _, ...rest } = inboxFrame(entry, domain);
    lastTail = JSON.stringify(rest).slice(1);
    lastMessage = entry.message;
    lastKind = entry.kind;
    lastDomain = domain;
  }
  return `{"seq":${entry.seq},${lastTail}`;
}
