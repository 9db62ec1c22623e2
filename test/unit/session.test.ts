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

  it('renders each message, kind and domain as itself, whatever was rendered just before', async () => {
    const { inboxFrame, inboxFrameText } = await import('../../src/monster/render.js');
    const message = (id: number, text: string) => ({
      id, messageId: `m${id}`, sender: { id: 'a', account: 'alice', kind: 1 as const }, target: { id: 'b', account: 'bob', kind: 1 as const },
      conversation: 'a:b', text, createdAt: id, recalledAt: null,
    });
    const first = message(1, 'b25l');
    const second = message(2, 'dHdv');
    const recalled = { ...first, recalledAt: 7 };
    const cases = [
      { seq: 1, kind: 2001, message: first, domain: 'x.org' },
      { seq: 2, kind: 2001, message: second, domain: 'x.org' },
      { seq: 3, kind: 2001, message: first, domain: 'y.org' },
      { seq: 4, kind: 2004, message: recalled, domain: 'y.org' },
      { seq: 5, kind: 2001, message: recalled, domain: 'y.org' },
      { seq: 6, kind: 2001, message: first, domain: 'y.org' },
      { seq: 7, kind: 2001, message: first, domain: 'x.org' },
    ] as const;
    for (const { domain, ...entry } of cases) {
      expect(JSON.parse(inboxFrameText(entry, domain))).toEqual(inboxFrame(entry, domain));
    }
  });
});

describe('UserSession inbox order', () => {
  const message = (id: number) => ({
    id, messageId: `m${id}`, sender: { id: peer, account: 'b', kind: AccountKind.Person }, target: { id: account.id, account: 'a', kind: AccountKind.Person },
    conversation: 'c', text: '', createdAt: 0, recalledAt: null,
  });
  const entry = (seq: number) => ({ type: 'inbox', entry: { seq, kind: 2001, message: message(seq) } }) as const;
  const seqs = (sent: SessionEvent[]) => sent.map((e) => (e.type === 'inbox' ? e.entry.seq : -1));

  it('asks for the entries it skipped when a later one arrives first, and gives everything once, in order', () => {
    const { sent, transport } = recordingTransport();
    const session = new UserSession(account, transport);
    let gaps = 0;
    session.onInboxGap = () => gaps++;
    session.deliver(entry(1));
    session.deliver(entry(3)); // 2 was committed first, on another node, and is still on its way
    expect(gaps).toBe(1);
    expect(seqs(sent)).toEqual([1]);
    // The catch-up (what SessionService.replay does): the store has 2 and 3.
    session.startReplay(session.lastInboxSeq);
    session.replay([entry(2).entry, entry(3).entry]);
    session.deliver(entry(2)); // the late copy arrives during the catch-up
    session.finishReplay();
    session.deliver(entry(4));
    expect(seqs(sent)).toEqual([1, 2, 3, 4]);
    expect(gaps).toBe(1);
  });
});
