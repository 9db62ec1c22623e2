import { FieldLimits, isRemoteAccount, type Account } from '../domain/account.js';
import { accept, remove, request, type RelationOutcome, type RelationPair, type Transition } from '../domain/relation.js';
import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import { refuse, success, type Result } from './errors.js';
import type { RemoteServers } from './remote.js';
import { randomHex128 } from './secrets.js';
import { isHex128 } from './secrets.js';
import { friendView, requestView } from './views.js';

const SEARCH_LIMIT = 50;

/** Finding people and the mutual-friendship life cycle: request, accept, remove. */
export class FriendService {
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly remote: RemoteServers | null,
  ) {}

  async search(me: Account, query: string): Promise<Result<Account[]>> {
    if (!query.trim()) return refuse('name-empty');
    if (query.length > FieldLimits.search) return refuse('field-too-long');
    return success(await this.store.searchPeople(query.trim(), SEARCH_LIMIT, me.id));
  }

  /** `me` asks `peerId` to be friends, with a note shown to them. */
  async request(me: Account, peerId: string, note: string): Promise<Result> {
    if (note.length > FieldLimits.note) return refuse('field-too-long');
    return this.change(me, peerId, (pair) => request(pair, note));
  }

  /** `me` accepts `peerId`'s request, calling them `alias`; without a request, asks them. */
  async accept(me: Account, peerId: string, alias: string): Promise<Result> {
    if (!alias.trim()) return refuse('alias-empty');
    if (alias.length > FieldLimits.alias) return refuse('field-too-long');
    return this.change(me, peerId, (pair) => accept(pair, alias.trim()));
  }

  /** `me` ends the friendship with `peerId`, or declines / withdraws a pending request. */
  async remove(me: Account, peerId: string): Promise<Result> {
    return this.change(me, peerId, remove, 'not-related');
  }

  private async change(
    me: Account,
    peerId: string,
    transition: (pair: RelationPair) => Transition,
    missingPeer: 'no-such-account' | 'not-related' = 'no-such-account',
  ): Promise<Result> {
    if (!peerId) return refuse('friend-empty');
    if (peerId === me.id) return refuse('self');
    const peer = isHex128(peerId) ? await this.store.accountById(peerId) : null;
    if (!peer || peer.kind !== me.kind) return refuse(missingPeer);
    const result = await this.relate(me, peer, transition);
    if (result.ok && isRemoteAccount(peer) && this.remote) await this.tellRemote(me, peer, result.value);
    return result.ok ? success(undefined) : result;
  }

  /**
   * A minami friend action on a remote person, said in Monster frames to their server: a
   * request is an application (their server may accept it at once: its answer is applied
   * when it comes), an acceptance is 1002, anything ending the relation 1004.
   */
  private async tellRemote(me: Account, peer: Account, outcome: RelationOutcome): Promise<void> {
    const messageId = randomHex128();
    if (outcome === 'requested') {
      const note = (await this.store.relation(me.id, peer.id)).mine?.note ?? '';
      await this.remote!.forward(me, peer, { code: 1001, messageId, pass: '', note });
    } else if (outcome === 'befriended') {
      await this.remote!.forward(me, peer, { code: 1002, messageId });
    } else {
      await this.remote!.forward(me, peer, { code: 1004, messageId });
    }
  }

  /**
   * Applies a relation transition between two people and tells both sides' sessions:
   * the one relation behind both the minami friend list and Monster 1001/1002/1003/1004.
   */
  async relate(me: Account, peer: Account, transition: (pair: RelationPair) => Transition): Promise<Result<RelationOutcome>> {
    const outcome = await this.store.transformRelation<Transition>(me.id, peer.id, (pair) => {
      const t = transition(pair);
      return t.ok ? { pair: t.pair, result: t } : { pair: null, result: t };
    });
    if (!outcome.ok) return refuse(outcome.refusal);

    switch (outcome.outcome) {
      case 'requested':
        await this.bus.publish([peer.id], { type: 'friend-request', request: requestView(me, peer.id, outcome.pair.mine?.note ?? '') });
        break;
      case 'befriended': {
        const online = await this.bus.online([me.id, peer.id]);
        await this.bus.publish([peer.id], { type: 'friend-updated', friend: friendView(me, outcome.pair.theirs?.alias ?? '', online.has(me.id)) });
        await this.bus.publish([me.id], { type: 'friend-updated', friend: friendView(peer, outcome.pair.mine?.alias ?? '', online.has(peer.id)) });
        break;
      }
      default:
        // Both sides hear of it: the peer so its lists drop us, our other devices likewise.
        await this.bus.publish([peer.id], { type: 'relation-deleted', peer: me.id });
        await this.bus.publish([me.id], { type: 'relation-deleted', peer: peer.id });
    }
    return success(outcome.outcome);
  }
}
