import { isRemoteAccount, type Account, type AccountRef } from '../domain/account.js';
import { InboxKind } from '../domain/message.js';
import { ApplyType, Status } from '../domain/monster.js';
import { admit, request } from '../domain/relation.js';
import type { Bus } from '../bus/bus.js';
import { appendMessage, type Store } from '../store/store.js';
import { failed, success, type Outcome } from './errors.js';
import type { FriendService } from './friends.js';
import { ACTIVE_ROLES, isGroupLike } from './monster.js';
import { PROFILE_NOTICE, type Frame } from './remote.js';

const ref = (a: Account): AccountRef => ({ id: a.id, account: a.account, kind: a.kind });

/**
 * What other servers tell this one: answers to frames it queued for local users, and what
 * remote groups and channels do to their members here (posts, recalls, membership).
 */
export class RemoteEventService {
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly friends: FriendService,
  ) {}

  /**
   * The remote's answer to a queued frame. An application's outcome is mirrored here (the
   * remote decided it); the user hears answers nobody waited for, and refusals.
   */
  async answered(actorId: string, frame: Frame, answer: Frame, awaited: boolean): Promise<void> {
    const actor = await this.store.accountById(actorId);
    if (!actor || isRemoteAccount(actor)) return;
    const target = typeof frame.to === 'string' ? await this.store.accountByName(frame.to) : null;
    const code = Number(frame.code);
    // Its account's owner did not send it: a server that refuses it (one without profile notices) tells nobody.
    if (code === PROFILE_NOTICE) return;
    const status = Number(answer.statusCode);
    if (code === 1001 && status === Status.Info && target) {
      const type = Number(answer.type);
      const note = typeof frame.note === 'string' ? frame.note : '';
      if (isGroupLike(target)) {
        if (type === ApplyType.Accepted) await this.store.setMember(target.id, actor.id, 'member', '');
        else if (type === ApplyType.Pending) await this.store.setMember(target.id, actor.id, 'pending', note);
      } else if (type === ApplyType.Accepted) {
        await this.friends.relate(actor, target, admit);
      } else if (type === ApplyType.Pending) {
        await this.friends.relate(actor, target, (pair) => request(pair, note));
      }
    }
    const unheard = !awaited && (status >= 400 || code === 1001 || (target !== null && isGroupLike(target)));
    if (unheard) {
      await this.bus.publish([actor.id], { type: 'remote-answer', frame: { ...answer, messageId: frame.messageId, code: String(code) } });
    }
  }

  /** A remote group accepted (1002) or refused (1003) a local applicant, or ended a membership (1004). */
  async membershipChanged(group: Account, member: Account, code: number, reason: string): Promise<Outcome> {
    if (!isGroupLike(group)) return failed(Status.BadRequest, 'not a group or channel');
    if (code === 1002) {
      // Only an application this member made: a server cannot enrol anyone by saying so.
      if ((await this.store.roleOf(group.id, member.id)) !== 'pending') return failed(Status.NotFound, 'no pending application');
      await this.store.setMember(group.id, member.id, 'member', '');
      await this.bus.publish([member.id], { type: 'application-answered', group: ref(group), accepted: true });
      return success(undefined);
    }
    if (code === 1003 && (await this.store.roleOf(group.id, member.id)) !== 'pending') return failed(Status.NotFound, 'no pending application');
    const was = await this.store.removeMember(group.id, member.id);
    if (code === 1003) await this.bus.publish([member.id], { type: 'application-answered', group: ref(group), accepted: false });
    else if (was) await this.bus.publish([member.id], { type: 'membership-ended', group: ref(group), member: ref(member), reason: reason === 'deleted' ? 'deleted' : 'removed' });
    return success(undefined);
  }

  /**
   * Of the accounts a remote group names, those that joined it from here: a server cannot
   * reach anyone's inbox by claiming they are members of its group.
   */
  private async joined(group: Account, named: Account[]): Promise<string[]> {
    const active = new Set(await this.store.memberIdsOf(group.id, ACTIVE_ROLES));
    return named.filter((m) => active.has(m.id)).map((m) => m.id);
  }

  /** A post of a remote group, for its members on this server. */
  async groupPost(group: Account, author: Account, members: Account[], clientMessageId: string, text: string, time: number): Promise<Outcome> {
    if (!isGroupLike(group)) return failed(Status.BadRequest, 'not a group or channel');
    // A group's server vouches for the authors of other servers; for a person of this server,
    // this server knows whether they sent it.
    if (!isRemoteAccount(author) && !(await this.store.federation().wasPosted(author.id, group.id, clientMessageId))) {
      return failed(Status.Forbidden, 'the author did not send this post');
    }
    const appended = await appendMessage(
      this.store,
      { messageId: clientMessageId, sender: ref(author), target: ref(group), conversation: group.id, text, createdAt: time },
      await this.joined(group, members),
    );
    if (!appended.duplicate) await this.bus.publishInbox(appended.seqs, InboxKind.Message, appended.message, undefined);
    return success(undefined);
  }

  /** A recall in a remote group, for its members on this server. */
  async groupRecall(group: Account, author: Account, members: Account[], recallMessageId: string, time: number): Promise<Outcome> {
    const message = await this.store.messageBySender(author.id, recallMessageId);
    if (!message || message.target.id !== group.id) return failed(Status.NotFound, 'no such message');
    if (message.recalledAt !== null) return success(undefined);
    const seqs = await this.store.recallMessage(message.id, time, await this.joined(group, members));
    await this.bus.publishInbox(seqs, InboxKind.Recall, { ...message, recalledAt: time }, undefined);
    return success(undefined);
  }
}
