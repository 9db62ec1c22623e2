import type { Frame } from '../../../client/frames.js';
import type { FriendEntry, GroupEntry, RequestEntry } from '../../../client/live.js';
import type { Person, Reply } from '../../../client/minami.js';
import { domainOf, nameOf, newMessageId, normalizeAddress } from '../lib/format.js';
import type { CallManager } from './calls.js';
import { isQueued, isSuccess, monsterProblem, ProblemError, transportProblem } from './errors.js';
import type { ChatMessage } from './messages.js';
import { str, type ServerLink } from './link.js';
import type { Notices } from './notices.js';
import type { AccountInfo, Contact, Group, GroupKind, Member, PendingRequest, ProfileChanges, StateCell } from './state.js';

export function kindOf(accountType: unknown): GroupKind | null {
  const t = String(accountType);
  return t === '2' ? 'group' : t === '3' ? 'channel' : null;
}

export function contactOf(f: FriendEntry, domain: string): Contact {
  const address = normalizeAddress(f.address ?? (f.account ? `@${f.account}:${domain}` : `@${f.id}:${domain}`));
  return { id: f.id, account: f.account, address, name: f.name, picture: f.picture ?? '', sex: f.sex ?? '', birthday: f.birthday ?? '', sign: f.sign ?? '', online: !!f.online };
}

export function groupOf(g: GroupEntry, kind: GroupKind): Group {
  const address = normalizeAddress(g.address);
  return { address, name: g.name || nameOf(address), kind, role: g.role };
}

export function requestOf(r: RequestEntry, domain: string): PendingRequest {
  const address = normalizeAddress(r.address ?? (r.account ? `@${r.account}:${domain}` : `@${r.id}:${domain}`));
  return { id: r.id, account: r.account, address, name: r.name, note: r.note ?? '' };
}

/**
 * Who is who: the user's own profile, friends and friend requests, groups and channels with
 * their join requests, and the names of everyone else met in a conversation. Changes come
 * both from the user's actions here and from pushes (other devices, other people).
 */
export class Directory {
  private readonly discovering = new Set<string>();

  constructor(
    private readonly cell: StateCell,
    private readonly link: ServerLink,
    private readonly notices: Notices,
    private readonly calls: CallManager,
  ) {}

  displayName(address: string): string {
    const s = this.cell.state;
    if (s.me && address === s.me.address) return s.me.name;
    return s.friends.find((f) => f.address === address)?.name ?? s.groups.find((g) => g.address === address)?.name ?? s.names[address] ?? nameOf(address);
  }

  isGroupAddress(address: string): boolean {
    return this.cell.state.groups.some((g) => g.address === address);
  }

  /** A group or channel of another server: its answers number messages there, not here. */
  isRemoteGroup(address: string): boolean {
    const me = this.cell.state.me;
    return !!me && domainOf(address) !== domainOf(me.address) && this.isGroupAddress(address);
  }

  // ---------------------------------------------------------------- contacts

  async search(name: string): Promise<Array<Person & { address: string }>> {
    const reply = (await this.link.minami((auth) => this.link.http.found(auth, name))) as Reply & { found?: Person[] | null };
    const domain = domainOf(this.cell.state.me?.address ?? '');
    return (reply.found ?? []).map((p) => ({ ...p, address: normalizeAddress(`@${p.account ?? p.id}:${domain}`) }));
  }

  /** 1000: an account's public information, local or remote. */
  async accountInfo(address: string): Promise<AccountInfo> {
    const answer = await this.link.must({ code: '1000', to: address });
    const info = Array.isArray(answer.info) ? (answer.info as Array<{ title: unknown; value: unknown }>).map((i) => ({ title: str(i.title), value: str(i.value) })) : [];
    return {
      nickname: str(answer.nickname),
      accountType: str(answer.accountType),
      address: normalizeAddress(str(answer.address) || address),
      policy: typeof answer.policy === 'string' ? answer.policy : undefined,
      members: typeof answer.members === 'number' ? answer.members : undefined,
      picurl: str(answer.picurl),
      info,
    };
  }

  /**
   * 1001: befriend a person or join a group or channel. Resolves the answer's `type`, or
   * `queued` when another server has not answered yet (its answer is told when it comes).
   */
  async apply(address: string, options: { pass?: string; note?: string; name?: string } = {}): Promise<'1' | '2' | '3' | 'queued'> {
    const messageId = newMessageId();
    const frame: Frame = { messageId, code: '1001', to: address };
    if (options.pass) frame.pass = options.pass;
    if (options.note) frame.note = options.note;
    let answer: Frame;
    try {
      answer = await this.link.request(frame);
    } catch (err) {
      throw new ProblemError(transportProblem(err));
    }
    if (isQueued(answer)) {
      this.link.queued.set(messageId, { address, name: options.name ?? this.displayName(address) });
      return 'queued';
    }
    if (!isSuccess(answer)) throw new ProblemError(monsterProblem(answer));
    const type = str(answer.type) as '1' | '2' | '3';
    if (type === '1') {
      // A person shows up through the 301 push; a group is listed here.
      const info = await this.accountInfo(address).catch(() => null);
      const kind = info ? kindOf(info.accountType) : null;
      if (kind && info) {
        this.cell.set((s) => ({
          groups: s.groups.some((g) => g.address === info.address) ? s.groups : [...s.groups, { address: info.address, name: info.nickname || nameOf(info.address), kind, role: 'member' }],
        }));
      }
    }
    return type;
  }

  async acceptRequest(request: PendingRequest, alias: string): Promise<void> {
    await this.link.minami((auth) => this.link.http.add(auth, request.id, alias.trim() || request.name));
    this.cell.set((s) => ({ requests: s.requests.filter((r) => r.id !== request.id) }));
  }

  async declineRequest(request: PendingRequest): Promise<void> {
    await this.link.minami((auth) => this.link.http.remove(auth, request.id));
    this.cell.set((s) => ({ requests: s.requests.filter((r) => r.id !== request.id) }));
  }

  async removeFriend(contact: Contact): Promise<void> {
    await this.link.minami((auth) => this.link.http.remove(auth, contact.id));
    // The 1004 push usually comes first and says so; otherwise it is said here.
    if (this.cell.state.friends.some((f) => f.id === contact.id)) this.onFriendGone(contact.id);
  }

  /** 520: someone asks to be friends. */
  onRequest(r: RequestEntry | undefined): void {
    if (!r?.id) return;
    const request = requestOf(r, domainOf(this.cell.state.me?.address ?? ''));
    this.cell.set((s) => ({ requests: [...s.requests.filter((x) => x.id !== r.id), request] }));
    this.notices.toast('info', 'notice.request', { name: request.name });
  }

  /** 300 (a friend changed) or 301 (a new friend, announced when `announce`). */
  onFriend(f: FriendEntry | undefined, announce: boolean): void {
    if (!f?.id) return;
    const contact = contactOf(f, domainOf(this.cell.state.me?.address ?? ''));
    const isNew = !this.cell.state.friends.some((x) => x.id === f.id);
    this.cell.set((s) => ({
      friends: isNew ? [...s.friends, contact] : s.friends.map((x) => (x.id === f.id ? { ...x, ...contact } : x)),
      requests: s.requests.filter((x) => x.id !== f.id),
    }));
    if (isNew && announce) this.notices.toast('info', 'notice.newFriend', { name: contact.name });
  }

  /** 1004: no longer friends, whoever ended it. */
  onFriendGone(id: string): void {
    const friend = this.cell.state.friends.find((x) => x.id === id);
    this.cell.set((s) => ({
      friends: s.friends.filter((x) => x.id !== id),
      requests: s.requests.filter((x) => x.id !== id),
      active: friend && s.active === friend.address ? null : s.active,
    }));
    if (friend) {
      this.notices.toast('info', 'notice.friendGone', { name: friend.name });
      this.calls.onContactGone(friend.address);
    }
  }

  /** Learns what an address is (1000) — e.g. a group joined on another device — and lists it. */
  async discover(address: string, role: string): Promise<void> {
    if (this.discovering.has(address)) return;
    this.discovering.add(address);
    try {
      const info = await this.accountInfo(address);
      const kind = kindOf(info.accountType);
      if (kind) {
        this.cell.set((s) => ({
          groups: s.groups.some((g) => g.address === address) ? s.groups : [...s.groups, { address, name: info.nickname || nameOf(address), kind, role }],
        }));
      } else this.cell.set((s) => ({ names: { ...s.names, [address]: info.nickname || nameOf(address) } }));
    } catch {
      /* stays unnamed */
    } finally {
      this.discovering.delete(address);
    }
  }

  /** Senders in a group who are not friends: their names are looked up once. */
  learnNames(messages: ChatMessage[]): void {
    const s = this.cell.state;
    for (const m of messages) {
      if (m.from === s.me?.address || s.names[m.from] || s.friends.some((f) => f.address === m.from) || s.groups.some((g) => g.address === m.from)) continue;
      void this.discover(m.from, 'member');
    }
  }

  // ---------------------------------------------------------------- groups

  async createGroup(options: { name: string; kind: GroupKind; nickname: string; policy: string; pass: string }): Promise<string> {
    const frame: Frame = { code: '3101', name: options.name.trim().toLowerCase(), accountType: options.kind === 'group' ? '2' : '3', policy: options.policy };
    if (options.nickname.trim()) frame.nickname = options.nickname.trim();
    if (options.policy === 'pass') frame.pass = options.pass;
    const answer = await this.link.must(frame);
    const address = normalizeAddress(str(answer.address));
    this.cell.set((s) => ({ groups: [...s.groups.filter((g) => g.address !== address), { address, name: options.nickname.trim() || frame.name as string, kind: options.kind, role: 'owner' }] }));
    return address;
  }

  async updateGroup(address: string, changes: ProfileChanges): Promise<void> {
    await this.link.must({ code: '3102', to: address, ...changes });
    if (changes.nickname) this.onGroupRenamed(address, changes.nickname);
  }

  /** A group or channel has a new name (the 3102 push to its members, on every device). */
  onGroupRenamed(address: string, name: string): void {
    if (!address || !name) return;
    this.cell.set((s) => ({ groups: s.groups.map((g) => (g.address === address ? { ...g, name } : g)) }));
  }

  async members(address: string): Promise<Member[]> {
    const answer = await this.link.must({ code: '3106', to: address });
    const members = ((answer.members as Member[] | undefined) ?? []).map((m) => ({ address: normalizeAddress(str(m.address)), nickname: str(m.nickname), role: str(m.role) }));
    const me = this.cell.state.me?.address;
    this.cell.set((s) => {
      const names = { ...s.names };
      for (const m of members) if (m.nickname) names[m.address] = m.nickname;
      const mine = members.find((m) => m.address === me);
      const groups = mine ? s.groups.map((g) => (g.address === address && g.role !== mine.role ? { ...g, role: mine.role } : g)) : s.groups;
      const pending = members.filter((m) => m.role === 'pending').map((m) => m.address);
      const applications = [
        ...s.applications.filter((a) => a.group !== address || pending.includes(a.member)),
        ...pending.filter((p) => !s.applications.some((a) => a.group === address && a.member === p)).map((member) => ({ group: address, member, note: '' })),
      ];
      return { names, groups, applications };
    });
    return members;
  }

  /** Pending join requests of the groups the user manages (they are not in the login frame). */
  async loadApplications(): Promise<void> {
    for (const g of this.cell.state.groups) if (g.role === 'owner' || g.role === 'admin') await this.members(g.address).catch(() => undefined);
  }

  async answerApplication(group: string, member: string, accept: boolean): Promise<void> {
    await this.link.must({ code: accept ? '1002' : '1003', to: group, member });
    this.cell.set((s) => ({ applications: s.applications.filter((a) => !(a.group === group && a.member === member)) }));
  }

  async setAdmin(group: string, member: string, admin: boolean): Promise<void> {
    await this.link.must({ code: '3104', to: group, member, admin });
  }

  async removeMember(group: string, member: string): Promise<void> {
    await this.link.must({ code: '3105', to: group, member });
  }

  async leaveGroup(address: string): Promise<void> {
    await this.link.must({ code: '1004', to: address });
    this.onMembershipEnded(address, 'left');
  }

  async deleteGroup(address: string): Promise<void> {
    await this.link.must({ code: '3103', to: address });
    this.onMembershipEnded(address, 'deleted');
  }

  onApplication(group: string, member: string, note: string): void {
    if (!group || !member) return;
    this.cell.set((s) => ({ applications: [...s.applications.filter((a) => !(a.group === group && a.member === member)), { group, member, note }] }));
    this.notices.toast('info', 'notice.application', { member: this.displayName(member), group: this.displayName(group) });
  }

  async onAccepted(group: string): Promise<void> {
    await this.discover(group, 'member');
    this.notices.toast('info', 'notice.joined', { name: this.displayName(group) });
  }

  onMembershipEnded(group: string, reason: string): void {
    const known = this.cell.state.groups.find((g) => g.address === group);
    const name = known?.name ?? nameOf(group);
    this.cell.set((s) => ({
      groups: s.groups.filter((g) => g.address !== group),
      applications: s.applications.filter((a) => a.group !== group),
      active: s.active === group ? null : s.active,
    }));
    // Told once: by the answer or by the push, whichever comes first.
    if (!known) return;
    if (reason === 'deleted') this.notices.toast('info', 'notice.deleted', { name });
    else if (reason === 'removed') this.notices.toast('info', 'notice.removed', { name });
    else this.notices.toast('info', 'notice.left', { name });
  }

  // ---------------------------------------------------------------- profile

  async updateProfile(changes: ProfileChanges): Promise<void> {
    await this.link.must({ code: '3001', ...changes });
    this.cell.set((s) => ({
      me: s.me && {
        ...s.me,
        ...(changes.nickname !== undefined ? { name: changes.nickname } : {}),
        ...(changes.picture !== undefined ? { picture: changes.picture } : {}),
        ...(changes.sex !== undefined ? { sex: changes.sex } : {}),
        ...(changes.birthday !== undefined ? { birthday: changes.birthday } : {}),
        ...(changes.sign !== undefined ? { sign: changes.sign } : {}),
      },
    }));
  }
}
