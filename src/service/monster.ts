import { createHash } from 'node:crypto';
import {
  AccountKind, FieldLimits, isRemoteAccount, isValidAccountName, normaliseAccountName, type Account, type AccountRef,
} from '../domain/account.js';
import { addressDomain, parseAddress } from '../domain/address.js';
import { InboxKind, type StoredMessage } from '../domain/message.js';
import {
  ApplyType, canPost, conversationKey, decideApplication, isManager, Status, type ApplyType as ApplyTypeT,
  type InfoTitle, type JoinPolicy,
} from '../domain/monster.js';
import { admit, approve, decline, remove, request } from '../domain/relation.js';
import type { Bus } from '../bus/bus.js';
import { withoutSecrets, type AccountChanges, type AccountRecord, type Appended, type AppendWaiter, type Membership, type Store } from '../store/store.js';
import { AccountCache } from './account-cache.js';
import { failed, success, type Outcome } from './errors.js';
import type { FriendService } from './friends.js';
import { PROFILE_NOTICE, type Frame, type RemoteServers } from './remote.js';
import { hashPassword, verifyPassword, type ScryptCost } from './passwords.js';
import { randomHex128 } from './secrets.js';
import type { UserSession } from './sessions.js';
import { tellWatchers } from './watchers.js';

export interface MonsterServiceOptions {
  /** This server's domain, as in its addresses. */
  domain: string;
  recallWindowMs: number;
  scryptCost: ScryptCost;
}

export interface InfoView {
  account: Account;
  info: { title: InfoTitle; value: string }[];
  /** Members of a group or subscribers of a channel. */
  memberCount: number | null;
}

export interface ProfileChanges {
  name?: string;
  picture?: string;
  sex?: string;
  birthday?: string;
  sign?: string;
  policy?: JoinPolicy;
  /** A new join pass code; '' removes it. */
  pass?: string;
  publicFields?: InfoTitle[];
}

const ref = (a: Account): AccountRef => ({ id: a.id, account: a.account, kind: a.kind });
export const isGroupLike = (a: Pick<Account, 'kind'>) => a.kind === AccountKind.Group || a.kind === AccountKind.Channel;
export const ACTIVE_ROLES = ['owner', 'admin', 'member'] as const;
const ACCOUNT_CHANGED = 'account-changed';
/** Who of these are accounts of this server (remote ones have no sessions or inbox here). */
const localOnly = (...accounts: Account[]) => accounts.filter((a) => !isRemoteAccount(a)).map((a) => a.id);

/** A 1:1 message's inbox recipients (both people, where local), if the sender may send it. */
function personRecipients(sender: Account, target: Account, friends: boolean): Outcome<string[]> {
  if (target.id === sender.id) return failed(Status.BadRequest, 'cannot message oneself');
  if (!friends) return failed(Status.Forbidden, 'not friends');
  return success(localOnly(sender, target));
}

/** What a stored message's sender hears. */
export type SendOutcome = Outcome<{ message: StoredMessage; seq: number | null }>;

/** Told about a stored message: once it is in line for a commit, then how it went. None of these may throw. */
export interface SendReply {
  queued(): void;
  done(outcome: SendOutcome): void;
  /** The store failed; the message may not have been stored. */
  failed(err: unknown): void;
}

/**
 * What a stored message keeps while it waits for its commit, and what it does then: tells
 * the recipients' sessions and answers the sender. One object instead of a chain of
 * promises and closures, because at full load thousands wait at once, each long enough
 * for the collector to copy and promote what it holds.
 */
class SentOnCommit implements AppendWaiter {
  constructor(
    private readonly bus: Bus,
    private readonly sender: Account,
    private readonly targetId: string,
    private readonly text: string,
    private readonly session: UserSession | null,
    private readonly reply: SendReply,
  ) {}

  appended(appended: Appended): void {
    // `catch` after `then`: a reply that threw must not become an unhandled rejection (the
    // process's end); the sink answers once, so a second word is ignored.
    this.sent(appended)
      .then((outcome) => this.reply.done(outcome))
      .catch((err: unknown) => this.reply.failed(err));
  }

  failed(err: unknown): void {
    this.reply.failed(err);
  }

  private async sent(appended: Appended): Promise<SendOutcome> {
    if (appended.duplicate) {
      const same = appended.message.target.id === this.targetId && appended.message.text === this.text;
      return same ? success({ message: appended.message, seq: null }) : failed(Status.Conflict, 'messageId already used for another message');
    }
    const seq = appended.seqs.get(this.sender.id) ?? null;
    if (seq !== null) this.session?.noteAnswered(seq);
    await this.bus.publishInbox(appended.seqs, InboxKind.Message, appended.message, this.session?.id);
    return success({ message: appended.message, seq });
  }
}

/** The profile fields a friend list shows: a change of any of them is pushed to the person's friends. */
const FRIEND_VIEW_FIELDS = ['name', 'picture', 'sex', 'birthday', 'sign'] as const;

/** A key naming one post to a group across servers, the same however often it is fanned out. */
const postKey = (authorId: string, clientMessageId: string) => createHash('sha256').update(`${authorId}\n${clientMessageId}`).digest('hex').slice(0, 32);

/**
 * The Monster use cases on one server: every account (person, group, channel) answers
 * info, applications, relation deletion and stored messages. Person-to-person relations
 * go through the FriendService, so minami and Monster see one relation.
 */
export class MonsterService {
  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly friends: FriendService,
    private readonly options: MonsterServiceOptions,
    /** Other servers; null when federation is off. */
    readonly remote: RemoteServers | null,
  ) {
    // Another node changed or deleted an account: drop our cached copy at once.
    bus.onClusterMessage(ACCOUNT_CHANGED, (name) => typeof name === 'string' && this.cache.forget(name));
  }

  private readonly cache = new AccountCache();

  private async forget(name: string): Promise<void> {
    this.cache.forget(name);
    await this.bus.broadcast(ACCOUNT_CHANGED, name);
  }

  /**
   * The account of a name when it is at hand (recently read), without waiting; undefined
   * when `accountByName` must read it. Nearly every frame names one, and awaiting a cache hit
   * still cost each frame a chain of promises.
   */
  cachedAccountByName(name: string): AccountRecord | undefined {
    return this.cache.peek(normaliseAccountName(name));
  }

  /** A local account by name (remote accounts, named by address, are never found here). */
  accountByName(name: string): Promise<AccountRecord | null> {
    const account = normaliseAccountName(name);
    if (!isValidAccountName(account)) return Promise.resolve(null);
    return this.cache.get(account, (n) => this.store.accountByName(n));
  }

  /**
   * A post to a group of another server, remembered before it is queued: when the group's
   * fan-out comes back naming the sender as its author, this server knows they sent it.
   */
  async postToRemoteGroup(sender: Account, group: Account, messageId: string, text: string): Promise<Frame | null> {
    await this.store.federation().notePost(sender.id, group.id, messageId, Date.now());
    return this.forwardToRemote(sender, group, { code: 2001, messageId, text });
  }

  /** Queues a frame for a remote account's server and waits briefly for its answer (null: not yet). */
  async forwardToRemote(sender: Account, target: Account, frame: Frame): Promise<Frame | null> {
    return this.remote!.forwardAndWait(sender, target, frame);
  }

  /** 1000: what the owner made public. */
  async info(target: Account): Promise<InfoView> {
    const values: Record<InfoTitle, string> = { mail: target.mail, sex: target.sex, birthday: target.birthday, synopsis: target.sign };
    const memberCount = isGroupLike(target) ? (await this.store.memberIdsOf(target.id, ACTIVE_ROLES)).length : null;
    return { account: target, info: target.publicFields.map((title) => ({ title, value: values[title] })), memberCount };
  }

  /** 1001: befriend a person or join a group or channel, under its join policy. */
  async apply(sender: Account, target: AccountRecord, pass: string, note: string): Promise<Outcome<ApplyTypeT>> {
    if (target.id === sender.id) return failed(Status.BadRequest, 'cannot apply to oneself');
    if (note.length > FieldLimits.note) return failed(Status.TooLarge, 'note too long');
    const passMatches = target.policy === 'pass' && pass !== '' && target.passCodeHash !== '' && (await verifyPassword(pass, target.passCodeHash));
    const decision = decideApplication(target.policy, passMatches);

    if (!isGroupLike(target)) {
      if (decision === ApplyType.WrongPass) return success(decision);
      const result = await this.friends.relate(sender, target, (pair) => (decision === ApplyType.Accepted ? admit(pair) : request(pair, note)));
      if (!result.ok) return failed(Status.Conflict, 'already friends');
      return success(result.value === 'befriended' ? ApplyType.Accepted : ApplyType.Pending);
    }

    const role = await this.store.roleOf(target.id, sender.id);
    if (role && role !== 'pending') return failed(Status.Conflict, 'already a member');
    if (decision === ApplyType.WrongPass) return success(decision);
    if (decision === ApplyType.Accepted) {
      await this.store.setMember(target.id, sender.id, 'member', note);
      return success(decision);
    }
    await this.store.setMember(target.id, sender.id, 'pending', note);
    const managers = await this.store.memberIdsOf(target.id, ['owner', 'admin']);
    await this.bus.publish(managers, { type: 'application', from: ref(sender), to: ref(target), note });
    return success(decision);
  }

  /**
   * 1002 / 1003: answer a pending application. For a person the target is the applicant;
   * for a group or channel the target is the group and `applicant` names who applied.
   */
  async answer(actor: Account, target: Account, applicant: Account | null, accepted: boolean, messageId = ''): Promise<Outcome> {
    if (!isGroupLike(target)) {
      if (target.id === actor.id) return failed(Status.BadRequest, 'cannot answer oneself');
      // Told first: if this side then refuses, so will theirs (they hold the same request).
      if (isRemoteAccount(target) && !isRemoteAccount(actor)) await this.remote?.forward(actor, target, { code: accepted ? 1002 : 1003, messageId: messageId || `answer-${Date.now()}` });
      const result = await this.friends.relate(actor, target, (pair) => (accepted ? approve(pair, '') : decline(pair)));
      if (!result.ok) return failed(result.refusal === 'already-friends' ? Status.Conflict : Status.NotFound, result.refusal === 'already-friends' ? 'already friends' : 'no pending application');
      return success(undefined);
    }
    if (!applicant) return failed(Status.BadRequest, 'member missing');
    if (!isManager(await this.store.roleOf(target.id, actor.id))) return failed(Status.Forbidden, 'only the owner and admins answer applications');
    if ((await this.store.roleOf(target.id, applicant.id)) !== 'pending') return failed(Status.NotFound, 'no pending application');
    if (isRemoteAccount(applicant)) await this.remote?.forward(target, applicant, { code: accepted ? 1002 : 1003, messageId: `answer-${applicant.id}-${Date.now()}` });
    if (accepted) await this.store.setMember(target.id, applicant.id, 'member', '');
    else await this.store.removeMember(target.id, applicant.id);
    await this.bus.publish([applicant.id], { type: 'application-answered', group: ref(target), accepted });
    return success(undefined);
  }

  /** 1004: unfriend a person (or withdraw / decline a request), or leave a group or channel. */
  async deleteRelation(sender: Account, target: Account, messageId = ''): Promise<Outcome> {
    const tellRemote = () => this.remote?.forward(sender, target, { code: 1004, messageId: messageId || `leave-${Date.now()}` });
    if (!isGroupLike(target)) {
      if (target.id === sender.id) return failed(Status.BadRequest, 'cannot leave oneself');
      if (isRemoteAccount(target) && !isRemoteAccount(sender)) await tellRemote();
      const result = await this.friends.relate(sender, target, remove);
      return result.ok ? success(undefined) : failed(Status.NotFound, 'no relation');
    }
    const role = await this.store.roleOf(target.id, sender.id);
    if (!role) return failed(Status.NotFound, 'not a member');
    if (role === 'owner') return failed(Status.Conflict, 'the owner deletes the group instead of leaving it');
    if (isRemoteAccount(target)) await tellRemote();
    await this.store.removeMember(target.id, sender.id);
    await this.bus.publish([sender.id], { type: 'membership-ended', group: ref(target), member: ref(sender), reason: 'left' });
    return success(undefined);
  }

  /** 3105 (and 1004 with `member`): an owner or admin removes someone; admins only plain members. */
  async removeMember(actor: Account, group: Account, member: Account): Promise<Outcome> {
    if (!isGroupLike(group)) return failed(Status.BadRequest, 'not a group or channel');
    const actorRole = await this.store.roleOf(group.id, actor.id);
    if (!isManager(actorRole)) return failed(Status.Forbidden, 'only the owner and admins remove members');
    const memberRole = await this.store.roleOf(group.id, member.id);
    if (!memberRole) return failed(Status.NotFound, 'not a member');
    if (memberRole === 'owner' || (memberRole === 'admin' && actorRole !== 'owner')) return failed(Status.Forbidden, 'cannot remove an owner or a fellow admin');
    if (isRemoteAccount(member)) await this.remote?.forward(group, member, { code: 1004, messageId: `removed-${member.id}-${Date.now()}`, reason: 'removed' });
    await this.store.removeMember(group.id, member.id);
    await this.bus.publish([member.id], { type: 'membership-ended', group: ref(group), member: ref(member), reason: 'removed' });
    return success(undefined);
  }

  /**
   * 2001: stores the message with an inbox entry for every recipient (the sender's other
   * devices included) and only then answers; a resent messageId is not stored twice.
   * `reply` hears when the message is in line for a commit, and then the outcome.
   */
  send(sender: Account, target: Account, messageId: string, text: string, session: UserSession | null, reply: SendReply): void {
    const createdAt = Date.now();
    // The usual case is decided without waiting for anything: between two local people,
    // from a session that knows its friends.
    if (session && !isGroupLike(target) && !isRemoteAccount(target)) {
      const recipients = personRecipients(sender, target, session.friends.has(target.id));
      if (!recipients.ok) return reply.done(recipients);
      return this.append(sender, target, messageId, text, createdAt, recipients.value, session, reply);
    }
    this.recipientsOf(sender, target, messageId, text, createdAt, session)
      .then((recipients) => (recipients.ok ? this.append(sender, target, messageId, text, createdAt, recipients.value, session, reply) : reply.done(recipients)))
      .catch((err: unknown) => reply.failed(err));
  }

  /** Who gets a message in their inbox, once the sender may send it; remote copies are queued first. */
  private async recipientsOf(
    sender: Account, target: Account, messageId: string, text: string, createdAt: number, session: UserSession | null,
  ): Promise<Outcome<string[]>> {
    if (!isGroupLike(target)) {
      const friends = session ? session.friends.has(target.id) : (await this.store.relation(sender.id, target.id)).mine?.state === 'friend';
      const recipients = personRecipients(sender, target, friends);
      if (recipients.ok && isRemoteAccount(target)) await this.remote?.forward(sender, target, { code: 2001, messageId, text });
      return recipients;
    }
    const role = await this.store.roleOf(target.id, sender.id);
    if (!canPost(target.kind as 2 | 3, role)) {
      return failed(Status.Forbidden, role && role !== 'pending' ? 'only the owner and admins post in a channel' : 'not a member');
    }
    const remoteMembers = await this.remoteMembersOf(target);
    const remoteIds = new Set(remoteMembers.map((m) => m.id));
    const recipients = (await this.store.memberIdsOf(target.id, ACTIVE_ROLES)).filter((id) => !remoteIds.has(id));
    // Queued before the local commit, so a crash between the two cannot lose the remote
    // copies; a resend queues it again and the remote servers drop the repeat.
    if (remoteMembers.length) {
      await this.remote?.fanOut(target, remoteMembers, {
        code: 2010, messageId: postKey(sender.id, messageId), author: this.addressOf(sender), authorType: String(sender.kind),
        authorName: sender.name, clientMessageId: messageId, text, time: createdAt,
      });
    }
    return success(recipients);
  }

  private append(
    sender: Account, target: Account, messageId: string, text: string, createdAt: number, recipients: readonly string[],
    session: UserSession | null, reply: SendReply,
  ): void {
    this.store.appendMessage(
      { messageId, sender: ref(sender), target: ref(target), conversation: conversationKey(sender.id, target.id, isGroupLike(target)), text, createdAt },
      recipients,
      new SentOnCommit(this.bus, sender, target.id, text, session, reply),
    );
    // In line for the next commit: the connection may go on with its next message meanwhile.
    reply.queued();
  }

  /** 2004: the sender recalls their message within the window; every recipient is told. */
  async recall(sender: Account, target: Account | null, recallMessageId: string, session: UserSession | null): Promise<Outcome> {
    const message = await this.store.messageBySender(sender.id, recallMessageId);
    if (!message) {
      // Say "not yours" rather than "not found" when it is someone else's in this conversation.
      if (target) {
        const key = conversationKey(sender.id, target.id, isGroupLike(target));
        const theirs = (await this.store.history(key, null, 200)).some((m) => m.messageId === recallMessageId);
        if (theirs) return failed(Status.Forbidden, 'only the sender recalls a message');
      }
      return failed(Status.NotFound, 'no such message');
    }
    if (target && message.target.id !== target.id) return failed(Status.NotFound, 'no such message in this conversation');
    const now = Date.now();
    if (message.recalledAt === null && now - message.createdAt > this.options.recallWindowMs) return failed(Status.Gone, 'the recall window has passed');
    const conversationWith = target ?? (await this.store.accountById(message.target.id));
    if (!conversationWith) return success(undefined);
    // Remote copies are told first (again, if this is a retry: they drop repeats).
    let recipients: string[];
    if (message.target.kind === AccountKind.Person) {
      if (isRemoteAccount(conversationWith) && !isRemoteAccount(sender)) {
        await this.remote?.forward(sender, conversationWith, { code: 2004, messageId: `recall-${recallMessageId}`.slice(0, 128), recallMessageId });
      }
      recipients = localOnly(sender, conversationWith);
    } else {
      const remoteMembers = await this.remoteMembersOf(conversationWith);
      if (remoteMembers.length) {
        await this.remote?.fanOut(conversationWith, remoteMembers, {
          code: 2011, messageId: `r${postKey(sender.id, recallMessageId)}`, author: this.addressOf(sender), recallMessageId, time: now,
        });
      }
      const remoteIds = new Set(remoteMembers.map((m) => m.id));
      recipients = (await this.store.memberIdsOf(message.target.id, ACTIVE_ROLES)).filter((id) => !remoteIds.has(id));
    }
    if (message.recalledAt !== null) return success(undefined);
    const recalled = { ...message, recalledAt: now };
    const seqs = await this.store.recallMessage(message.id, now, recipients);
    await this.bus.publishInbox(seqs, InboxKind.Recall, recalled, session?.id);
    return success(undefined);
  }

  /** 3002: a page of a conversation, oldest first, before the message `before`. */
  async history(viewer: Account, target: Account, before: number | null, limit: number): Promise<Outcome<StoredMessage[]>> {
    if (isGroupLike(target)) {
      const role = await this.store.roleOf(target.id, viewer.id);
      if (!role || role === 'pending') return failed(Status.Forbidden, 'not a member');
    }
    return success(await this.store.history(conversationKey(viewer.id, target.id, isGroupLike(target)), before, limit));
  }

  /** 3001: change one's own profile, join policy, pass code and public fields. */
  async updateProfile(me: Account, changes: ProfileChanges): Promise<Outcome> {
    const updated = await this.update(me.id, changes);
    return updated.ok ? success(undefined) : updated;
  }

  /** 3101: create a group (accountType 2) or channel (3) owned by `owner`. */
  async createGroup(owner: Account, name: string, kind: 2 | 3, changes: ProfileChanges): Promise<Outcome<Account>> {
    const account = normaliseAccountName(name);
    if (!isValidAccountName(account)) return failed(Status.BadRequest, 'invalid name');
    const invalid = this.invalidProfile(changes);
    if (invalid) return invalid;
    if (changes.policy === 'pass' && !changes.pass) return failed(Status.BadRequest, 'the pass policy needs a pass code');
    if (await this.store.accountByName(account)) return failed(Status.Conflict, 'name taken');
    const record: AccountRecord = {
      id: randomHex128(), account, kind, name: account, picture: '', sex: '', birthday: '', sign: '', mail: '',
      createdAt: Date.now(), policy: 'approve', publicFields: ['synopsis'], passwordHash: '', passCodeHash: '',
    };
    if (!(await this.store.createAccount(record))) return failed(Status.Conflict, 'name taken');
    await this.store.setMember(record.id, owner.id, 'owner', '');
    const updated = await this.update(record.id, changes);
    if (!updated.ok) return updated;
    return success((await this.store.accountById(record.id))!);
  }

  /** 3102: the owner or an admin changes a group's profile or join policy. */
  async updateGroup(actor: Account, group: Account, changes: ProfileChanges): Promise<Outcome> {
    if (!isGroupLike(group)) return failed(Status.BadRequest, 'not a group or channel');
    if (!isManager(await this.store.roleOf(group.id, actor.id))) return failed(Status.Forbidden, 'only the owner and admins change a group');
    const updated = await this.update(group.id, changes);
    if (!updated.ok) return updated;
    if (updated.value) await this.announceGroupName(updated.value);
    return success(undefined);
  }

  /** 3103: the owner deletes a group; every member is told. */
  async deleteGroup(actor: Account, group: Account): Promise<Outcome> {
    if (!isGroupLike(group)) return failed(Status.BadRequest, 'not a group or channel');
    if ((await this.store.roleOf(group.id, actor.id)) !== 'owner') return failed(Status.Forbidden, 'only the owner deletes a group');
    const members = await this.store.membersOf(group.id);
    const remoteMembers = members.filter((m) => isRemoteAccount(m.account)).map((m) => m.account);
    if (remoteMembers.length) await this.remote?.fanOut(group, remoteMembers, { code: 1004, messageId: `deleted-${group.id}`, reason: 'deleted' });
    await this.store.deleteAccount(group.id);
    await this.forget(group.account);
    for (const m of members) {
      await this.bus.publish([m.account.id], { type: 'membership-ended', group: ref(group), member: ref(m.account), reason: 'deleted' });
    }
    return success(undefined);
  }

  /** 3104: the owner makes a member an admin, or an admin a member again. */
  async setAdmin(actor: Account, group: Account, member: Account, admin: boolean): Promise<Outcome> {
    if (!isGroupLike(group)) return failed(Status.BadRequest, 'not a group or channel');
    if ((await this.store.roleOf(group.id, actor.id)) !== 'owner') return failed(Status.Forbidden, 'only the owner appoints admins');
    const role = await this.store.roleOf(group.id, member.id);
    if (role !== 'member' && role !== 'admin') return failed(Status.NotFound, 'not a member');
    await this.store.setMember(group.id, member.id, admin ? 'admin' : 'member', '');
    return success(undefined);
  }

  /** 3106: members see the member list (managers also see pending applicants). */
  async members(actor: Account, group: Account): Promise<Outcome<Membership[]>> {
    if (!isGroupLike(group)) return failed(Status.BadRequest, 'not a group or channel');
    const role = await this.store.roleOf(group.id, actor.id);
    if (!role || role === 'pending') return failed(Status.Forbidden, 'not a member');
    const all = await this.store.membersOf(group.id);
    return success(isManager(role) ? all : all.filter((m) => m.role !== 'pending'));
  }

  /** What is wrong with profile changes on their own, before anything is written. */
  private invalidProfile(changes: ProfileChanges): { ok: false; status: number; reason: string } | null {
    for (const field of ['name', 'picture', 'sex', 'birthday', 'sign'] as const) {
      const value = changes[field];
      if (value !== undefined && value.length > FieldLimits[field]) return failed(Status.TooLarge, `${field} too long`);
    }
    if (changes.name !== undefined && !changes.name.trim()) return failed(Status.BadRequest, 'name empty');
    return null;
  }

  /** Applies profile changes; the account as it is now when its name changed, else null. */
  private async update(id: string, changes: ProfileChanges): Promise<Outcome<AccountRecord | null>> {
    const { pass, ...rest } = changes;
    const invalid = this.invalidProfile(changes);
    if (invalid) return invalid;
    const update: AccountChanges = { ...rest };
    if (pass !== undefined) update.passCodeHash = pass === '' ? '' : await hashPassword(pass, this.options.scryptCost);
    const checksPass = rest.policy === 'pass' || (pass !== undefined && rest.policy === undefined);
    const before = checksPass || changes.name !== undefined ? await this.store.accountById(id) : null;
    if (checksPass) {
      const policy = rest.policy ?? before?.policy;
      const hasPass = update.passCodeHash !== undefined ? update.passCodeHash !== '' : before?.passCodeHash !== '';
      if (policy === 'pass' && !hasPass) return failed(Status.BadRequest, 'the pass policy needs a pass code');
    }
    await this.store.updateAccount(id, update);
    const changed = await this.store.accountById(id);
    if (!changed) return success(null);
    await this.forget(changed.account);
    if (FRIEND_VIEW_FIELDS.some((field) => changes[field] !== undefined)) {
      await this.bus.publish([id], { type: 'profile-changed', account: withoutSecrets(changed) });
      await this.announceProfile(changed);
    }
    // Forms send the name with every save: only a different one is news.
    const renamed = changes.name !== undefined && changed.name !== before?.name ? changed : null;
    // Other servers keep only an account's name (15.2).
    if (renamed) await this.noticeToOtherServers(renamed);
    return success(renamed);
  }

  /** An account of another server renamed by the word of that server: those here who see it are told. */
  async announceRename(standIn: AccountRecord): Promise<void> {
    await (isGroupLike(standIn) ? this.announceGroupName(standIn) : this.announceProfile(standIn));
  }

  /**
   * Everyone who has this person as a friend sees the new profile at once (minami 301),
   * under their own alias: after a 3001 here, or a remote person's rename.
   */
  private async announceProfile(person: Account): Promise<void> {
    if (person.kind !== AccountKind.Person) return;
    const online = (await this.bus.online([person.id])).has(person.id);
    await tellWatchers(this.bus, await this.store.aliasesFor(person.id), person, online);
  }

  /**
   * The members here of a group or channel see its new name at once: after a 3102 here, or
   * a remote group's rename.
   */
  private async announceGroupName(group: AccountRecord): Promise<void> {
    await this.bus.publish(await this.store.memberIdsOf(group.id, ACTIVE_ROLES), { type: 'group-renamed', group: withoutSecrets(group) });
  }

  /**
   * Every server that keeps a stand-in for this account gets one profile notice, queued
   * like any frame (it arrives after what was sent there before, and once that server is
   * reachable again if it is not now): for a person, the servers of their friends and of
   * their groups and applications; for a group or channel, those of its members and
   * applicants.
   */
  private async noticeToOtherServers(account: Account): Promise<void> {
    if (!this.remote || isRemoteAccount(account)) return;
    const federation = this.store.federation();
    const contacts = isGroupLike(account)
      ? await federation.remoteMembersOf(account.id, [...ACTIVE_ROLES, 'pending'])
      : await federation.remoteContactsOf(account.id);
    const oneEach = new Map<string, Pick<Account, 'account'>>();
    for (const contact of contacts) {
      const address = parseAddress(contact.account);
      if (address) oneEach.set(addressDomain(address), contact);
    }
    const messageId = `profile-${account.id}-${Date.now()}`;
    for (const contact of oneEach.values()) await this.remote.forward(account, contact, { code: PROFILE_NOTICE, messageId });
  }

  /** A group's members on other servers; none without federation. */
  private async remoteMembersOf(group: Account) {
    return this.remote ? this.store.federation().remoteMembersOf(group.id, ACTIVE_ROLES) : [];
  }

  private addressOf(a: Account): string {
    return isRemoteAccount(a) ? a.account : `@${a.account}:${this.options.domain}`;
  }
}
