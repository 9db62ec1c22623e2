import { describe, expect, it } from 'vitest';
import { accept, relationStatus, remove, request, type RelationPair } from '../../src/domain/relation.js';

const none: RelationPair = { mine: null, theirs: null };
const outgoing: RelationPair = { mine: { state: 'requested', alias: 'al', note: 'hi' }, theirs: null };
const incoming: RelationPair = { mine: null, theirs: { state: 'requested', alias: 'theirs', note: 'hey' } };
const friends: RelationPair = { mine: { state: 'friend', alias: 'a', note: '' }, theirs: { state: 'friend', alias: 'b', note: '' } };

describe('relation state machine', () => {
  it('derives the status of a pair from its two edges', () => {
    expect([none, outgoing, incoming, friends].map(relationStatus)).toEqual(['none', 'outgoing', 'incoming', 'friends']);
    // A half-written friendship still counts as one, so removing it cleans both sides.
    expect(relationStatus({ mine: { state: 'friend', alias: '', note: '' }, theirs: null })).toBe('friends');
  });

  it('request: asks, re-asks with a new note, befriends when the other already asked, refuses friends', () => {
    expect(request(none, 'n1')).toEqual({ ok: true, outcome: 'requested', pair: { mine: { state: 'requested', alias: '', note: 'n1' }, theirs: null } });
    expect(request(outgoing, 'n2')).toMatchObject({ ok: true, outcome: 'requested', pair: { mine: { note: 'n2' } } });
    expect(request(incoming, 'n3')).toEqual({
      ok: true, outcome: 'befriended',
      pair: { mine: { state: 'friend', alias: '', note: '' }, theirs: { state: 'friend', alias: 'theirs', note: '' } },
    });
    expect(request(friends, 'x')).toEqual({ ok: false, refusal: 'already-friends' });
    expect(request(outgoing, 'n4')).toMatchObject({ pair: { mine: { alias: 'al', note: 'n4' } } });
  });

  it('accept: befriends on a pending request with both aliases, otherwise asks and remembers the alias', () => {
    expect(accept(incoming, 'mine')).toEqual({
      ok: true, outcome: 'befriended',
      pair: { mine: { state: 'friend', alias: 'mine', note: '' }, theirs: { state: 'friend', alias: 'theirs', note: '' } },
    });
    expect(accept(none, 'later')).toEqual({ ok: true, outcome: 'requested', pair: { mine: { state: 'requested', alias: 'later', note: '' }, theirs: null } });
    expect(accept(outgoing, 'new')).toEqual({ ok: true, outcome: 'requested', pair: { mine: { state: 'requested', alias: 'new', note: 'hi' }, theirs: null } });
    expect(accept(friends, 'x')).toEqual({ ok: false, refusal: 'already-friends' });
  });

  it('remove: unfriends, declines or withdraws, and refuses when nothing stands between them', () => {
    const empty = { mine: null, theirs: null };
    expect(remove(friends)).toEqual({ ok: true, outcome: 'unfriended', pair: empty });
    expect(remove(incoming)).toEqual({ ok: true, outcome: 'declined', pair: empty });
    expect(remove(outgoing)).toEqual({ ok: true, outcome: 'cancelled', pair: empty });
    expect(remove(none)).toEqual({ ok: false, refusal: 'not-related' });
  });
});

describe('Monster relation rules', () => {
  it('admit befriends directly unless already friends, keeping no alias', async () => {
    const { admit } = await import('../../src/domain/relation.js');
    for (const pair of [none, outgoing, incoming]) {
      expect(admit(pair)).toMatchObject({ ok: true, outcome: 'befriended', pair: { mine: { state: 'friend', alias: '' }, theirs: { state: 'friend', alias: '' } } });
    }
    expect(admit(friends)).toEqual({ ok: false, refusal: 'already-friends' });
  });

  it('approve and decline act only on a pending application', async () => {
    const { approve, decline } = await import('../../src/domain/relation.js');
    expect(approve(incoming, 'x')).toMatchObject({ ok: true, outcome: 'befriended' });
    expect(approve(none, 'x')).toEqual({ ok: false, refusal: 'not-related' });
    expect(approve(outgoing, 'x')).toEqual({ ok: false, refusal: 'not-related' });
    expect(approve(friends, 'x')).toEqual({ ok: false, refusal: 'already-friends' });
    expect(decline(incoming)).toMatchObject({ ok: true, outcome: 'declined' });
    expect(decline(friends)).toEqual({ ok: false, refusal: 'not-related' });
    expect(decline(none)).toEqual({ ok: false, refusal: 'not-related' });
  });
});
