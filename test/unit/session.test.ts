import { describe, expect, it } from 'vitest';
import { AccountKind, type Account } from '../../src/domain/account.js';
import type { SessionEvent } from '../../src/domain/events.js';
import { UserSession, type Transport } from '../../src/service/sessions.js';

const account: Account = { id: 'a'.repeat(32), account: 'a', kind: AccountKind.Person, name: 'A', picture: '', sex: '', birthday: '', sign: '', mail: '', createdAt: 0, policy: 'approve', publicFields: [] };
const peer = 'b'.repeat(32);
const friend = { id: peer, account: 'b', name: 'B', picture: '', sex: '', birthday: '', sign: '', online: true };

function recordingTransport() {
  const sent: SessionEvent[] = [];
  const transport: Transport = { send: (e) => (sent.push(e), true), close: () => {} };
  return { sent, transport };
}

describe('UserSession friend tracking', () => {
  it('does not resurrect a friendship ended while the snapshot was being read', () => {
    const session = new UserSession(account, recordingTransport().transport);
    session.deliver({ type: 'relation-deleted', peer });
    session.seedFriends([peer]);
    expect(session.friends.has(peer)).toBe(false);
  });

  it('keeps a friendship made while the snapshot was being read, and follows later changes', () => {
    const session = new UserSession(account, recordingTransport().transport);
    session.deliver({ type: 'friend-updated', friend });
    session.seedFriends([]);
    expect(session.friends.has(peer)).toBe(true);
    session.deliver({ type: 'relation-deleted', peer });
    expect(session.friends.has(peer)).toBe(false);
  });

  it('does not echo a dialogue to the session that sent it', () => {
    const { sent, transport } = recordingTransport();
    const session = new UserSession(account, transport);
    const dialogue = { type: 'dialogue', id: '1', from: account.id, to: peer, payload: 'x' } as const;
    expect(session.deliver({ ...dialogue, originSession: session.id })).toBe(false);
    expect(session.deliver({ ...dialogue, originSession: 'another' })).toBe(true);
    expect(sent).toHaveLength(1);
  });
});

describe('inbox push rendering', () => {
  it('serialises the shared part once and gives each recipient its own seq', async () => {
    const { inboxFrame, inboxFrameText } = await import('../../src/monster/render.js');
    const message = {
      id: 9, messageId: 'm', sender: { id: 'a', account: 'alice', kind: 1 as const }, target: { id: 'g', account: 'grp', kind: 2 as const },
      conversation: 'g', text: 'aGk=', createdAt: 5, recalledAt: null,
    };
    const one = JSON.parse(inboxFrameText({ seq: 1, kind: 2001, message }, 'x.org'));
    const two = JSON.parse(inboxFrameText({ seq: 2, kind: 2001, message }, 'x.org'));
    expect(one).toEqual(inboxFrame({ seq: 1, kind: 2001, message }, 'x.org'));
    expect(two).toEqual({ ...one, seq: 2 });
    expect(JSON.parse(inboxFrameText({ seq: 3, kind: 2004, message }, 'x.org'))).toMatchObject({ code: '2004', seq: 3, recallMessageId: 'm' });
  });
});
