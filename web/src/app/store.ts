import type { Frame } from '../../../client/frames.js';
import { LiveSession, SessionError, type Credentials, type FriendEntry, type GroupEntry, type LoginSnapshot, type RequestEntry, type StoredMessage } from '../../../client/live.js';
import { MinamiHttp, type Auth, type Person, type Reply } from '../../../client/minami.js';
import { decodeText, encodeText } from '../../../client/monster.js';
import { browserLanguage, isLang, translate, type Key, type Lang, type Vars } from '../i18n.js';
import { domainOf, nameOf, newMessageId, normalizeAddress } from '../lib/format.js';
import { CallManager, type CallView } from './calls.js';
import { isQueued, isSuccess, minamiProblem, monsterProblem, ProblemError, transportProblem, type Problem } from './errors.js';
import { emptyConversation, lastOf, mergeMessages, messageKey, oldestId, type ChatMessage, type Conversation } from './messages.js';
import { AccountStorage, clearSession, isSessionKey, loadLanguage, loadSession, saveLanguage, saveSession, type SavedSession } from './storage.js';

/** How many messages a history page holds. */
export const PAGE = 30;
/** 2001 `text` is at most 65 536 base64 characters: 49 152 bytes of UTF-8. */
export const MAX_TEXT_BYTES = 49_152;
const SEND_TIMEOUT_MS = 15_000;
const OUTBOX_WAIT_MS = 30_000;

export interface Me {
  id: string;
  account: string;
  address: string;
  name: string;
  picture: string;
  sex: string;
  birthday: string;
  sign: string;
}

export interface Contact {
  id: string;
  account?: string;
  address: string;
  /** The alias the user gave, or the friend's own name. */
  name: string;
  picture: string;
  sex: string;
  birthday: string;
  sign: string;
  online: boolean;
}

export type GroupKind = 'group' | 'channel';

export interface Group {
  address: string;
  name: string;
  kind: GroupKind;
  role: string;
}

export interface PendingRequest {
  id: string;
  account?: string;
  address: string;
  name: string;
  note: string;
}

export interface Application {
  group: string;
  member: string;
  note: string;
}

export interface Toast {
  id: number;
  kind: 'info' | 'error';
  key: Key;
  vars?: Vars;
  code?: string | number;
  detail?: string;
}

export type Connection = 'online' | 'connecting' | 'offline';

export interface AppState {
  phase: 'boot' | 'auth' | 'app';
  lang: Lang;
  /** The saved token could not be tried (server unreachable): offer a retry. */
  bootProblem: Problem | null;
  authProblem: Problem | null;
  busy: boolean;
  connection: Connection;
  /** When the next automatic reconnection happens (ms epoch), while offline. */
  retryAt: number | null;
  evicted: boolean;
  me: Me | null;
  friends: Contact[];
  groups: Group[];
  requests: PendingRequest[];
  applications: Application[];
  /** Names of people who are not friends (group members, strangers), by address. */
  names: Record<string, string>;
  conversations: Record<string, Conversation>;
  unread: Record<string, number>;
  active: string | null;
  call: CallView | null;
  toasts: Toast[];
}

export interface AccountInfo {
  nickname: string;
  accountType: string;
  address: string;
  policy?: string;
  members?: number;
  picurl?: string;
  info: Array<{ title: string; value: string }>;
}

export interface Member {
  address: string;
  nickname: string;
  role: string;
}

export interface ProfileChanges {
  nickname?: string;
  picture?: string;
  sex?: string;
  birthday?: string;
  sign?: string;
  policy?: string;
  pass?: string;
  public?: string[];
}

const initialState = (lang: Lang): AppState => ({
  phase: 'boot',
  lang,
  bootProblem: null,
  authProblem: null,
  busy: false,
  connection: 'connecting',
  retryAt: null,
  evicted: false,
  me: null,
  friends: [],
  groups: [],
  requests: [],
  applications: [],
  names: {},
  conversations: {},
  unread: {},
  active: null,
  call: null,
  toasts: [],
});

function kindOf(accountType: unknown): GroupKind | null {
  const t = String(accountType);
  return t === '2' ? 'group' : t === '3' ? 'channel' : null;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * The client's state and everything that changes it. React reads it through
 * `subscribe`/`getState`; every change replaces the state object.
 */
export class ChatStore {
  private state: AppState;
  private readonly listeners = new Set<() => void>();
  private session: LiveSession | null = null;
  private saved: SavedSession | null = null;
  private storage: AccountStorage | null = null;
  /** The highest inbox number this page has seen; reconnections resume after it. */
  private seq = 0;
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly outbox = new Map<string, { address: string; timer: ReturnType<typeof setTimeout> }>();
  private readonly discovering = new Set<string>();
  /** Frames answered 202 (queued for another server) whose late answer this page waits for. */
  private readonly queued = new Map<string, { address: string; name: string }>();
  private toastId = 0;
  private previewsLoaded = false;
  private clockOffset = 0;
  readonly http = new MinamiHttp(location.origin);
  readonly calls: CallManager;

  constructor() {
    const saved = loadLanguage();
    this.state = initialState(isLang(saved) ? saved : browserLanguage());
    this.calls = new CallManager({
      request: (frame, timeoutMs) => this.request(frame, timeoutMs),
      nameOf: (address) => this.displayName(address),
      setView: (call) => this.set({ call }),
      getView: () => this.state.call,
      notify: (kind, key, vars) => this.toast(kind, key, vars),
    });
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = () => this.state;

  private set(patch: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void {
    const change = typeof patch === 'function' ? patch(this.state) : patch;
    this.state = { ...this.state, ...change };
    for (const l of this.listeners) l();
  }

  t = (key: Key, vars?: Vars) => translate(this.state.lang, key, vars);

  // ---------------------------------------------------------------- start, login, logout

  start(): void {
    document.documentElement.lang = this.state.lang === 'zh' ? 'zh-CN' : 'en';
    window.addEventListener('storage', this.onStorage);
    window.addEventListener('online', () => {
      if (this.state.phase === 'app' && this.state.connection === 'offline' && !this.state.evicted) this.reconnectNow();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.state.active) this.markRead(this.state.active);
    });
    const saved = loadSession();
    if (!saved) {
      this.set({ phase: 'auth' });
      return;
    }
    this.saved = saved;
    this.seq = new AccountStorage(saved.account).seq;
    void this.connect({ account: saved.account, token: saved.token }, 'token');
  }

  setLang(lang: Lang): void {
    saveLanguage(lang);
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    this.set({ lang });
  }

  async register(fields: { account: string; password: string; mail: string; name: string; picture: string; sex: string; birthday: string; sign: string }): Promise<void> {
    this.set({ busy: true, authProblem: null });
    let reply: Reply;
    try {
      const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== '')) as typeof fields;
      reply = await this.http.register(body);
    } catch {
      reply = { code: 0, message: 'network', ok: false };
    }
    if (reply.code !== 200) {
      this.set({ busy: false, authProblem: minamiProblem(reply) });
      return;
    }
    await this.login(fields.account.trim().toLowerCase(), fields.password);
  }

  async login(account: string, password: string): Promise<void> {
    this.set({ busy: true, authProblem: null });
    this.seq = new AccountStorage(account.trim().toLowerCase()).seq;
    await this.connect({ account: account.trim(), password }, 'password');
  }

  retryBoot(): void {
    if (!this.saved) return this.set({ phase: 'auth', bootProblem: null });
    this.set({ bootProblem: null });
    void this.connect({ account: this.saved.account, token: this.saved.token }, 'token');
  }

  /** Revokes the token, closes the socket and forgets the session in this browser. */
  async logout(): Promise<void> {
    const auth = this.auth();
    this.forgetLocally();
    clearSession();
    if (auth) await this.http.logout(auth).catch(() => undefined);
  }

  private forgetLocally(): void {
    clearTimeout(this.retryTimer);
    this.calls.reset();
    const session = this.session;
    this.session = null;
    void session?.close(1000, 'Logout');
    for (const { timer } of this.outbox.values()) clearTimeout(timer);
    this.outbox.clear();
    this.storage?.forget();
    this.storage = null;
    this.saved = null;
    this.seq = 0;
    this.previewsLoaded = false;
    document.title = 'monami';
    this.state = { ...initialState(this.state.lang), phase: 'auth' };
    for (const l of this.listeners) l();
  }

  private auth(): Auth | null {
    return this.saved ? { id: this.saved.id, token: this.saved.token } : null;
  }

  private async connect(credentials: Credentials, mode: 'password' | 'token' | 'reconnect'): Promise<void> {
    clearTimeout(this.retryTimer);
    const previous = this.session;
    this.session = null;
    void previous?.close();
    const session = LiveSession.connect(location.origin, credentials, { since: this.seq || undefined });
    this.session = session;
    if (mode === 'reconnect') this.set({ connection: 'connecting', retryAt: null });
    let loggedIn = false;
    session.onPush((frame) => {
      if (this.session === session) this.onPush(frame);
    });
    void session.closed.then((event) => {
      if (this.session !== session) return;
      this.session = null;
      if (loggedIn) this.onDisconnected(event.code);
      else if (mode === 'reconnect') this.scheduleReconnect();
    });
    let first: LoginSnapshot | Reply;
    try {
      first = await session.login;
    } catch {
      if (this.session !== session && this.session !== null) return;
      // Closed before any frame: the server is unreachable.
      if (mode === 'password') this.set({ busy: false, authProblem: { key: 'err.0' } });
      else if (mode === 'token') this.set({ phase: 'boot', bootProblem: { key: 'err.0' } });
      return;
    }
    if (this.session !== session) return;
    if (first.code === 200 && (first as LoginSnapshot).profile) {
      loggedIn = true;
      this.retries = 0;
      this.applySnapshot(first as LoginSnapshot, credentials.account);
      return;
    }
    const problem = minamiProblem(first);
    this.session = null;
    void session.close();
    if (mode === 'password') this.set({ busy: false, authProblem: problem });
    else if (first.code === 505) {
      // The saved token is no longer accepted (expired or revoked).
      clearSession();
      this.forgetLocally();
      this.set({ authProblem: { key: 'auth.expired', code: 505 } });
    } else if (mode === 'reconnect') this.scheduleReconnect();
    else this.set({ phase: 'boot', bootProblem: problem });
  }

  private applySnapshot(snapshot: LoginSnapshot, account: string): void {
    const profile = snapshot.profile;
    const me: Me = {
      id: profile.id,
      account: profile.account ?? account.toLowerCase(),
      address: normalizeAddress(profile.address),
      name: profile.name,
      picture: profile.picture ?? '',
      sex: profile.sex ?? '',
      birthday: profile.birthday ?? '',
      sign: profile.sign ?? '',
    };
    if (this.state.me && this.state.me.address !== me.address) {
      this.state = { ...initialState(this.state.lang) };
      this.previewsLoaded = false;
    }
    this.saved = { account: me.account, id: me.id, token: snapshot.token };
    saveSession(this.saved);
    this.storage = new AccountStorage(me.account);
    const domain = domainOf(me.address);
    const friends = (snapshot.friends ?? []).map((f) => this.contactOf(f, domain));
    const groups: Group[] = [];
    for (const g of snapshot.groups ?? []) {
      const kind = kindOf(g.accountType);
      if (kind) groups.push(groupOf(g, kind));
    }
    const requests = (snapshot.requests ?? []).map((r) => requestOf(r, domain));
    this.set((s) => ({
      phase: 'app',
      busy: false,
      authProblem: null,
      bootProblem: null,
      connection: 'online',
      retryAt: null,
      evicted: false,
      me,
      friends,
      groups,
      requests,
      unread: this.unreadCounts(),
      active: s.active && (friends.some((f) => f.address === s.active) || groups.some((g) => g.address === s.active)) ? s.active : null,
    }));
    this.updateTitle();
    for (const [key, { address }] of this.outbox) void this.deliver(address, key);
    void this.loadApplications();
    if (!this.previewsLoaded) {
      this.previewsLoaded = true;
      void this.loadPreviews();
    }
  }

  private contactOf(f: FriendEntry, domain: string): Contact {
    const address = normalizeAddress(f.address ?? (f.account ? `@${f.account}:${domain}` : `@${f.id}:${domain}`));
    return { id: f.id, account: f.account, address, name: f.name, picture: f.picture ?? '', sex: f.sex ?? '', birthday: f.birthday ?? '', sign: f.sign ?? '', online: !!f.online };
  }

  private onDisconnected(code: number): void {
    this.calls.onDisconnected();
    if (code === 4513) {
      this.set({ connection: 'offline', evicted: true, retryAt: null });
      return;
    }
    this.scheduleReconnect();
  }

  /** Backs off 1, 2, 4 … 30 seconds so a restarting server is not hammered. */
  private scheduleReconnect(): void {
    const delay = Math.min(30, 2 ** this.retries) * 1000;
    this.retries++;
    this.set({ connection: 'offline', retryAt: Date.now() + delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.reconnectNow(), delay);
  }

  reconnectNow(): void {
    if (!this.saved) return;
    this.set({ evicted: false });
    void this.connect({ account: this.saved.account, token: this.saved.token }, 'reconnect');
  }

  // ---------------------------------------------------------------- requests

  /** A Monster frame on the login socket; resolves the answer whatever its status. */
  async request(frame: Frame, timeoutMs?: number): Promise<Frame> {
    const session = this.session;
    if (!session?.open) throw new SessionError('closed');
    return session.request(frame, timeoutMs);
  }

  /** A request that must succeed: a failure becomes a ProblemError. */
  private async must(frame: Frame): Promise<Frame> {
    let answer: Frame;
    try {
      answer = await this.request(frame);
    } catch (err) {
      throw new ProblemError(transportProblem(err));
    }
    if (!isSuccess(answer)) throw new ProblemError(monsterProblem(answer));
    return answer;
  }

  private async minami(call: (auth: Auth) => Promise<Reply>): Promise<Reply> {
    const auth = this.auth();
    if (!auth) throw new ProblemError({ key: 'err.514', code: 514 });
    let reply: Reply;
    try {
      reply = await call(auth);
    } catch {
      throw new ProblemError({ key: 'err.0' });
    }
    if (reply.code !== 200) throw new ProblemError(minamiProblem(reply));
    return reply;
  }

  // ---------------------------------------------------------------- pushes

  private onPush(frame: Frame): void {
    if (typeof frame.seq === 'number') this.noteSeq(frame.seq);
    if (typeof frame.time === 'number') this.clockOffset = frame.time - Date.now();
    if (typeof frame.code === 'number') return this.onMinamiPush(frame);
    if (frame.code === undefined) {
      if (typeof frame.from === 'string' && typeof frame.payload === 'string') this.onDialogue(frame.from, String(frame.id ?? ''), frame.payload, false);
      return;
    }
    if (frame.statusCode !== '300') return this.onLateAnswer(frame);
    switch (String(frame.code)) {
      case '2001':
        return this.onStored(frame as unknown as StoredMessage);
      case '2004':
        return this.onRecall(str(frame.from), str(frame.to), str(frame.recallMessageId || frame.messageId));
      case '1001':
        return this.onApplication(normalizeAddress(str(frame.to)), normalizeAddress(str(frame.from)), str(frame.note));
      case '1002':
        return void this.onAccepted(normalizeAddress(str(frame.from)));
      case '1003':
        return this.toast('info', 'notice.refused', { name: this.displayName(normalizeAddress(str(frame.from))) });
      case '1004':
        return this.onMembershipEnded(normalizeAddress(str(frame.from)), str(frame.reason));
      case '2002':
      case '2003':
      case '2005':
      case '2006':
      case '2007':
      case '2008':
      case '2009':
        return this.calls.onPush(frame);
    }
  }

  /**
   * An answer that came after its request stopped waiting: another server's answer to a
   * frame that was queued for it (202), its refusal of a change made here, or a slow answer.
   */
  private onLateAnswer(frame: Frame): void {
    const me = this.state.me;
    const messageId = str(frame.messageId);
    if (!me || !messageId || isQueued(frame)) return;
    const ok = isSuccess(frame);
    const code = String(frame.code);
    if (code === '2001') {
      const key = messageKey(me.address, messageId);
      const address = Object.keys(this.state.conversations).find((a) => this.state.conversations[a]!.messages.some((m) => m.key === key));
      this.queued.delete(messageId);
      if (!address) return;
      const current = this.state.conversations[address]!.messages.find((m) => m.key === key)!;
      if (!ok) return this.patchMessage(address, key, { state: 'failed', problem: monsterProblem(frame) });
      if (current.state === 'stored') return;
      this.release(key);
      const id = typeof frame.id === 'number' && !this.isRemoteGroup(address) ? frame.id : current.id;
      this.patchMessage(address, key, { state: 'stored', id, problem: undefined });
      return;
    }
    if (code === '1001') {
      const pending = this.queued.get(messageId);
      this.queued.delete(messageId);
      if (!ok) return this.toast('error', 'notice.lateRefused', { reason: this.t(monsterProblem(frame).key, monsterProblem(frame).vars) }, monsterProblem(frame));
      const name = pending?.name ?? '';
      const type = str(frame.type);
      if (type === '1' && pending) void this.discover(pending.address, 'member');
      if (type === '1') this.toast('info', pending && this.isGroupAddress(pending.address) ? 'notice.lateJoined' : 'notice.lateFriends', { name });
      else if (type === '2') this.toast('info', 'notice.lateWaiting', { name });
      else if (type === '3') this.toast('error', 'notice.lateWrongPass', { name });
      return;
    }
    if (!ok) {
      const problem = monsterProblem(frame);
      this.toast('error', 'notice.lateRefused', { reason: this.t(problem.key, problem.vars) }, problem);
    }
  }

  private isGroupAddress(address: string): boolean {
    return this.state.groups.some((g) => g.address === address);
  }

  /** A group or channel of another server: its answers number messages there, not here. */
  private isRemoteGroup(address: string): boolean {
    const me = this.state.me;
    return !!me && domainOf(address) !== domainOf(me.address) && this.isGroupAddress(address);
  }

  private onMinamiPush(frame: Frame): void {
    const domain = domainOf(this.state.me?.address ?? '');
    switch (frame.code) {
      case 520: {
        const r = frame.request as RequestEntry | undefined;
        if (!r?.id) return;
        const request = requestOf(r, domain);
        this.set((s) => ({ requests: [...s.requests.filter((x) => x.id !== r.id), request] }));
        this.toast('info', 'notice.request', { name: request.name });
        return;
      }
      case 301:
      case 300: {
        const f = frame.friend as FriendEntry | undefined;
        if (!f?.id) return;
        const contact = this.contactOf(f, domain);
        const isNew = !this.state.friends.some((x) => x.id === f.id);
        this.set((s) => ({
          friends: isNew ? [...s.friends, contact] : s.friends.map((x) => (x.id === f.id ? { ...x, ...contact } : x)),
          requests: s.requests.filter((x) => x.id !== f.id),
        }));
        if (isNew && frame.code === 301) this.toast('info', 'notice.newFriend', { name: contact.name });
        return;
      }
      case 1004: {
        const id = str(frame.from);
        const friend = this.state.friends.find((x) => x.id === id);
        this.set((s) => ({
          friends: s.friends.filter((x) => x.id !== id),
          requests: s.requests.filter((x) => x.id !== id),
          active: friend && s.active === friend.address ? null : s.active,
        }));
        if (friend) {
          this.toast('info', 'notice.friendGone', { name: friend.name });
          this.calls.onContactGone(friend.address);
        }
        return;
      }
      case 302: {
        const to = this.state.friends.find((x) => x.id === frame.to);
        if (to && typeof frame.payload === 'string') this.onDialogue(to.id, String(frame.id ?? ''), frame.payload, true);
        return;
      }
      case 513:
        this.set({ evicted: true });
        return;
    }
  }

  /** A minami dialogue (live, not stored) from a friend, or a copy of one sent from another device. */
  private onDialogue(friendId: string, id: string, payload: string, mine: boolean): void {
    const friend = this.state.friends.find((x) => x.id === friendId);
    const me = this.state.me;
    if (!friend || !me) return;
    const from = mine ? me.address : friend.address;
    const msg: ChatMessage = {
      key: `live\n${from}\n${id}\n${Date.now()}`,
      messageId: id,
      from,
      to: mine ? friend.address : me.address,
      text: payload,
      time: this.now(friend.address),
      state: mine ? 'stored' : 'received',
      live: true,
    };
    this.addMessages(friend.address, [msg]);
  }

  private onStored(m: StoredMessage): void {
    const me = this.state.me;
    if (!me || typeof m.messageId !== 'string' || typeof m.from !== 'string') return;
    const from = normalizeAddress(m.from);
    const to = normalizeAddress(str(m.to));
    const conv = this.conversationOf(from, to);
    const msg = this.fromStored({ ...m, from, to });
    this.addMessages(conv, [msg]);
    if (from !== me.address && !msg.recalled) this.arrived(conv, msg.id!);
    this.learnNames([msg]);
  }

  /** Senders in a group who are not friends: their names are looked up once. */
  private learnNames(messages: ChatMessage[]): void {
    const s = this.state;
    for (const m of messages) {
      if (m.from === s.me?.address || s.names[m.from] || s.friends.some((f) => f.address === m.from) || s.groups.some((g) => g.address === m.from)) continue;
      void this.discover(m.from, 'member');
    }
  }

  private fromStored(m: StoredMessage): ChatMessage {
    const from = normalizeAddress(m.from);
    let text = '';
    if (!m.recalled && m.text) {
      try {
        text = decodeText(m.text);
      } catch {
        text = '\uFFFD';
      }
    }
    return {
      key: messageKey(from, m.messageId),
      messageId: m.messageId,
      id: m.id,
      from,
      to: normalizeAddress(m.to),
      text,
      time: m.time,
      state: from === this.state.me?.address ? 'stored' : 'received',
      recalled: !!m.recalled,
    };
  }

  private onRecall(fromRaw: string, toRaw: string, messageId: string): void {
    const from = normalizeAddress(fromRaw);
    const conv = this.conversationOf(from, normalizeAddress(toRaw));
    const key = messageKey(from, messageId);
    const existing = this.state.conversations[conv]?.messages.find((m) => m.key === key);
    if (existing) this.addMessages(conv, [{ ...existing, recalled: true, text: '' }]);
    else {
      const c = this.state.conversations[conv];
      if (c?.last?.key === key) this.updateConversation(conv, { last: { ...c.last, recalled: true, text: '' } });
    }
    if (existing?.id !== undefined) this.dropUnread(conv, existing.id);
  }

  private onApplication(group: string, member: string, note: string): void {
    if (!group || !member) return;
    this.set((s) => ({ applications: [...s.applications.filter((a) => !(a.group === group && a.member === member)), { group, member, note }] }));
    this.toast('info', 'notice.application', { member: this.displayName(member), group: this.displayName(group) });
  }

  private async onAccepted(group: string): Promise<void> {
    await this.discover(group, 'member');
    this.toast('info', 'notice.joined', { name: this.displayName(group) });
  }

  private onMembershipEnded(group: string, reason: string): void {
    const known = this.state.groups.find((g) => g.address === group);
    const name = known?.name ?? nameOf(group);
    this.set((s) => ({
      groups: s.groups.filter((g) => g.address !== group),
      applications: s.applications.filter((a) => a.group !== group),
      active: s.active === group ? null : s.active,
    }));
    // Told once: by the answer or by the push, whichever comes first.
    if (!known) return;
    if (reason === 'deleted') this.toast('info', 'notice.deleted', { name });
    else if (reason === 'removed') this.toast('info', 'notice.removed', { name });
    else this.toast('info', 'notice.left', { name });
  }

  // ---------------------------------------------------------------- conversations

  /** The conversation a message belongs to: the other person, or the group it was sent to. */
  private conversationOf(from: string, to: string): string {
    const me = this.state.me?.address;
    const target = from === me ? to : to === me ? from : to;
    if (!this.state.friends.some((f) => f.address === target) && !this.state.groups.some((g) => g.address === target)) void this.discover(target, 'member');
    return target;
  }

  /** Learns what an address is (1000) — e.g. a group joined on another device — and lists it. */
  private async discover(address: string, role: string): Promise<void> {
    if (this.discovering.has(address)) return;
    this.discovering.add(address);
    try {
      const info = await this.accountInfo(address);
      const kind = kindOf(info.accountType);
      if (kind) {
        this.set((s) => ({
          groups: s.groups.some((g) => g.address === address) ? s.groups : [...s.groups, { address, name: info.nickname || nameOf(address), kind, role }],
        }));
      } else this.set((s) => ({ names: { ...s.names, [address]: info.nickname || nameOf(address) } }));
    } catch {
      /* stays unnamed */
    } finally {
      this.discovering.delete(address);
    }
  }

  private updateConversation(address: string, patch: Partial<Conversation>): void {
    this.set((s) => {
      const conv = s.conversations[address] ?? emptyConversation(address);
      return { conversations: { ...s.conversations, [address]: { ...conv, ...patch } } };
    });
  }

  private addMessages(address: string, messages: ChatMessage[]): void {
    this.set((s) => {
      const conv = s.conversations[address] ?? emptyConversation(address);
      return { conversations: { ...s.conversations, [address]: { ...conv, messages: mergeMessages(conv.messages, messages) } } };
    });
  }

  private patchMessage(address: string, key: string, patch: Partial<ChatMessage>): void {
    const conv = this.state.conversations[address];
    const msg = conv?.messages.find((m) => m.key === key);
    if (msg) this.addMessages(address, [{ ...msg, ...patch }]);
  }

  /** The server's time, and never before the conversation's last message. */
  private now(address: string): number {
    const conv = this.state.conversations[address];
    const last = conv ? lastOf(conv) : undefined;
    return Math.max(Date.now() + this.clockOffset, (last?.time ?? 0) + 1);
  }

  openConversation(address: string | null): void {
    this.set({ active: address });
    if (!address) return;
    this.markRead(address);
    const conv = this.state.conversations[address];
    if (!conv?.latestLoaded) void this.loadLatest(address);
    const group = this.state.groups.find((g) => g.address === address);
    if (group) void this.members(address).catch(() => undefined);
  }

  private async loadLatest(address: string): Promise<void> {
    this.updateConversation(address, { older: 'loading' });
    try {
      const answer = await this.must({ code: '3002', to: address, limit: PAGE });
      const page = ((answer.messages as StoredMessage[] | undefined) ?? []).map((m) => this.fromStored(m));
      this.addMessages(address, page);
      this.learnNames(page);
      this.updateConversation(address, { latestLoaded: true, older: page.length < PAGE ? 'done' : 'idle' });
      if (this.state.active === address) this.markRead(address);
    } catch {
      this.updateConversation(address, { older: 'error' });
    }
  }

  /** The page of history before the oldest message shown. */
  async loadOlder(address: string): Promise<void> {
    const conv = this.state.conversations[address];
    if (!conv || conv.older === 'loading' || conv.older === 'done') return;
    if (!conv.latestLoaded) return this.loadLatest(address);
    const before = oldestId(conv);
    if (before === undefined) return this.loadLatest(address);
    this.updateConversation(address, { older: 'loading' });
    try {
      const answer = await this.must({ code: '3002', to: address, limit: PAGE, before });
      const page = ((answer.messages as StoredMessage[] | undefined) ?? []).map((m) => this.fromStored(m));
      this.addMessages(address, page);
      this.learnNames(page);
      this.updateConversation(address, { older: page.length < PAGE ? 'done' : 'idle' });
    } catch {
      this.updateConversation(address, { older: 'error' });
    }
  }

  /** The last message of every conversation, so the chat list can show and order them. */
  private async loadPreviews(): Promise<void> {
    const addresses = [...this.state.friends.map((f) => f.address), ...this.state.groups.map((g) => g.address)].slice(0, 100);
    await Promise.all(
      addresses.map(async (address) => {
        try {
          const answer = await this.must({ code: '3002', to: address, limit: 1 });
          const m = (answer.messages as StoredMessage[] | undefined)?.[0];
          if (!m) return;
          const last = this.fromStored(m);
          this.updateConversation(address, { last });
          if (this.isGroupAddress(address)) this.learnNames([last]);
        } catch {
          /* no preview */
        }
      }),
    );
  }

  send(address: string, text: string): void {
    const me = this.state.me;
    if (!me || !text.trim()) return;
    const messageId = newMessageId();
    const key = messageKey(me.address, messageId);
    this.addMessages(address, [{ key, messageId, from: me.address, to: address, text, time: this.now(address), state: 'sending' }]);
    void this.deliver(address, key);
  }

  retry(address: string, key: string): void {
    void this.deliver(address, key);
  }

  /** Sends (or resends, with the same messageId: the server stores it once) a 2001. */
  private async deliver(address: string, key: string): Promise<void> {
    const msg = this.state.conversations[address]?.messages.find((m) => m.key === key);
    if (!msg) return;
    this.patchMessage(address, key, { state: 'sending', problem: undefined });
    if (!this.session?.open) return this.hold(address, key);
    this.release(key);
    let answer: Frame;
    try {
      answer = await this.request({ code: '2001', to: address, text: encodeText(msg.text), messageId: msg.messageId }, SEND_TIMEOUT_MS);
    } catch (err) {
      if (err instanceof SessionError && err.reason === 'closed') return this.hold(address, key);
      this.patchMessage(address, key, { state: 'failed', problem: transportProblem(err) });
      return;
    }
    const current = this.state.conversations[address]?.messages.find((m) => m.key === key);
    // The message's own push (a post to another server's group) may have come first.
    if (current?.state === 'stored' && current.id !== undefined) return;
    if (answer.statusCode === '200') {
      if (typeof answer.seq === 'number') this.noteSeq(answer.seq);
      // A group of another server answers with its own numbers; this server's come with the push.
      const remote = this.isRemoteGroup(address);
      const id = typeof answer.id === 'number' && !remote ? answer.id : current?.id;
      const time = typeof answer.time === 'number' && !remote ? answer.time : msg.time;
      this.patchMessage(address, key, { state: 'stored', id, time });
      if (id !== undefined) this.markRead(address, id);
    } else if (isQueued(answer)) {
      this.queued.set(msg.messageId, { address, name: this.displayName(address) });
      this.patchMessage(address, key, { state: 'queued' });
    } else this.patchMessage(address, key, { state: 'failed', problem: monsterProblem(answer) });
  }

  /** Keeps a message until the connection is back; after a while it shows as failed. */
  private hold(address: string, key: string): void {
    if (this.outbox.has(key)) return;
    const timer = setTimeout(() => {
      this.outbox.delete(key);
      this.patchMessage(address, key, { state: 'failed', problem: { key: 'err.closed' } });
    }, OUTBOX_WAIT_MS);
    this.outbox.set(key, { address, timer });
  }

  private release(key: string): void {
    const held = this.outbox.get(key);
    if (held) clearTimeout(held.timer);
    this.outbox.delete(key);
  }

  async recall(address: string, key: string): Promise<void> {
    const msg = this.state.conversations[address]?.messages.find((m) => m.key === key);
    if (!msg) return;
    let answer: Frame;
    try {
      answer = await this.request({ code: '2004', to: address, recallMessageId: msg.messageId });
    } catch (err) {
      throw new ProblemError(transportProblem(err));
    }
    // 202: queued for a group of another server; a refusal from there follows as a late answer.
    if (!isSuccess(answer) && !isQueued(answer)) throw new ProblemError(monsterProblem(answer));
    this.patchMessage(address, key, { recalled: true, text: '' });
  }

  // ---------------------------------------------------------------- unread

  private noteSeq(seq: number): void {
    if (seq > this.seq) this.seq = seq;
    this.storage?.noteSeq(seq);
  }

  private arrived(address: string, id: number): void {
    const visible = document.visibilityState === 'visible' && this.state.active === address;
    if (visible) return this.markRead(address, id);
    const storage = this.storage;
    if (!storage) return;
    if ((storage.read[address] ?? 0) >= id) return;
    const unread = storage.unread;
    const list = unread[address] ?? [];
    if (!list.includes(id)) unread[address] = [...list, id].slice(-500);
    storage.unread = unread;
    this.set({ unread: this.unreadCounts() });
    this.updateTitle();
  }

  private dropUnread(address: string, id: number): void {
    const storage = this.storage;
    if (!storage) return;
    const unread = storage.unread;
    if (!unread[address]?.includes(id)) return;
    unread[address] = unread[address]!.filter((x) => x !== id);
    storage.unread = unread;
    this.set({ unread: this.unreadCounts() });
    this.updateTitle();
  }

  /** Marks a conversation read up to `upTo` (or everything known); other tabs follow. */
  markRead(address: string, upTo?: number): void {
    const storage = this.storage;
    if (!storage) return;
    const conv = this.state.conversations[address];
    const unread = storage.unread;
    let max = upTo ?? 0;
    if (upTo === undefined) {
      for (const m of conv?.messages ?? []) if (m.id !== undefined && m.id > max) max = m.id;
      for (const id of unread[address] ?? []) if (id > max) max = id;
    }
    const read = storage.read;
    if (max > (read[address] ?? 0)) {
      read[address] = max;
      storage.read = read;
    }
    const left = (unread[address] ?? []).filter((id) => id > (read[address] ?? 0));
    if (left.length !== (unread[address]?.length ?? 0)) {
      if (left.length) unread[address] = left;
      else delete unread[address];
      storage.unread = unread;
    }
    const counts = this.unreadCounts();
    if ((counts[address] ?? 0) !== (this.state.unread[address] ?? 0) || Object.keys(counts).length !== Object.keys(this.state.unread).length) {
      this.set({ unread: counts });
      this.updateTitle();
    }
  }

  private unreadCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    const storage = this.storage;
    if (!storage) return counts;
    const read = storage.read;
    for (const [address, ids] of Object.entries(storage.unread)) {
      const n = ids.filter((id) => id > (read[address] ?? 0)).length;
      if (n) counts[address] = n;
    }
    return counts;
  }

  private updateTitle(): void {
    const total = Object.values(this.state.unread).reduce((a, b) => a + b, 0);
    document.title = total ? `(${total}) monami` : 'monami';
  }

  private onStorage = (event: StorageEvent) => {
    if (isSessionKey(event.key) && event.newValue === null && this.state.phase === 'app') {
      // Logged out in another tab: the token is revoked, so this tab stops too.
      this.forgetLocally();
      return;
    }
    const storage = this.storage;
    if (storage && (event.key === storage.key('unread') || event.key === storage.key('read'))) {
      this.set({ unread: this.unreadCounts() });
      this.updateTitle();
    }
  };

  // ---------------------------------------------------------------- contacts

  displayName(address: string): string {
    const s = this.state;
    if (s.me && address === s.me.address) return s.me.name;
    return s.friends.find((f) => f.address === address)?.name ?? s.groups.find((g) => g.address === address)?.name ?? s.names[address] ?? nameOf(address);
  }

  async search(name: string): Promise<Array<Person & { address: string }>> {
    const reply = (await this.minami((auth) => this.http.found(auth, name))) as Reply & { found?: Person[] | null };
    const domain = domainOf(this.state.me?.address ?? '');
    return (reply.found ?? []).map((p) => ({ ...p, address: normalizeAddress(`@${p.account ?? p.id}:${domain}`) }));
  }

  /** 1000: an account's public information, local or remote. */
  async accountInfo(address: string): Promise<AccountInfo> {
    const answer = await this.must({ code: '1000', to: address });
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
      answer = await this.request(frame);
    } catch (err) {
      throw new ProblemError(transportProblem(err));
    }
    if (isQueued(answer)) {
      this.queued.set(messageId, { address, name: options.name ?? this.displayName(address) });
      return 'queued';
    }
    if (!isSuccess(answer)) throw new ProblemError(monsterProblem(answer));
    const type = str(answer.type) as '1' | '2' | '3';
    if (type === '1') {
      // A person shows up through the 301 push; a group is listed here.
      const info = await this.accountInfo(address).catch(() => null);
      const kind = info ? kindOf(info.accountType) : null;
      if (kind && info) {
        this.set((s) => ({
          groups: s.groups.some((g) => g.address === info.address) ? s.groups : [...s.groups, { address: info.address, name: info.nickname || nameOf(info.address), kind, role: 'member' }],
        }));
      }
    }
    return type;
  }

  async acceptRequest(request: PendingRequest, alias: string): Promise<void> {
    await this.minami((auth) => this.http.add(auth, request.id, alias.trim() || request.name));
    this.set((s) => ({ requests: s.requests.filter((r) => r.id !== request.id) }));
  }

  async declineRequest(request: PendingRequest): Promise<void> {
    await this.minami((auth) => this.http.remove(auth, request.id));
    this.set((s) => ({ requests: s.requests.filter((r) => r.id !== request.id) }));
  }

  async removeFriend(contact: Contact): Promise<void> {
    await this.minami((auth) => this.http.remove(auth, contact.id));
    // The 1004 push usually comes first and says so; otherwise it is said here.
    if (this.state.friends.some((f) => f.id === contact.id)) this.onMinamiPush({ code: 1004, from: contact.id });
  }

  // ---------------------------------------------------------------- groups

  async createGroup(options: { name: string; kind: GroupKind; nickname: string; policy: string; pass: string }): Promise<string> {
    const frame: Frame = { code: '3101', name: options.name.trim().toLowerCase(), accountType: options.kind === 'group' ? '2' : '3', policy: options.policy };
    if (options.nickname.trim()) frame.nickname = options.nickname.trim();
    if (options.policy === 'pass') frame.pass = options.pass;
    const answer = await this.must(frame);
    const address = normalizeAddress(str(answer.address));
    this.set((s) => ({ groups: [...s.groups.filter((g) => g.address !== address), { address, name: options.nickname.trim() || frame.name as string, kind: options.kind, role: 'owner' }] }));
    return address;
  }

  async updateGroup(address: string, changes: ProfileChanges): Promise<void> {
    await this.must({ code: '3102', to: address, ...changes });
    if (changes.nickname) this.set((s) => ({ groups: s.groups.map((g) => (g.address === address ? { ...g, name: changes.nickname! } : g)) }));
  }

  async members(address: string): Promise<Member[]> {
    const answer = await this.must({ code: '3106', to: address });
    const members = ((answer.members as Member[] | undefined) ?? []).map((m) => ({ address: normalizeAddress(str(m.address)), nickname: str(m.nickname), role: str(m.role) }));
    const me = this.state.me?.address;
    this.set((s) => {
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
  private async loadApplications(): Promise<void> {
    for (const g of this.state.groups) if (g.role === 'owner' || g.role === 'admin') await this.members(g.address).catch(() => undefined);
  }

  async answerApplication(group: string, member: string, accept: boolean): Promise<void> {
    await this.must({ code: accept ? '1002' : '1003', to: group, member });
    this.set((s) => ({ applications: s.applications.filter((a) => !(a.group === group && a.member === member)) }));
  }

  async setAdmin(group: string, member: string, admin: boolean): Promise<void> {
    await this.must({ code: '3104', to: group, member, admin });
  }

  async removeMember(group: string, member: string): Promise<void> {
    await this.must({ code: '3105', to: group, member });
  }

  async leaveGroup(address: string): Promise<void> {
    await this.must({ code: '1004', to: address });
    this.onMembershipEnded(address, 'left');
  }

  async deleteGroup(address: string): Promise<void> {
    await this.must({ code: '3103', to: address });
    this.onMembershipEnded(address, 'deleted');
  }

  // ---------------------------------------------------------------- profile

  async updateProfile(changes: ProfileChanges): Promise<void> {
    await this.must({ code: '3001', ...changes });
    this.set((s) => ({
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

  // ---------------------------------------------------------------- notices

  toast(kind: Toast['kind'], key: Key, vars?: Vars, problem?: Problem): void {
    const id = ++this.toastId;
    const toast: Toast = { id, kind, key, vars, code: problem?.code, detail: problem?.detail };
    this.set((s) => ({ toasts: [...s.toasts.slice(-3), toast] }));
    setTimeout(() => this.dismiss(id), kind === 'error' ? 10_000 : 6_000);
  }

  fail(problem: Problem): void {
    this.toast('error', problem.key, problem.vars, problem);
  }

  dismiss(id: number): void {
    if (this.state.toasts.some((t) => t.id === id)) this.set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  }
}

function groupOf(g: GroupEntry, kind: GroupKind): Group {
  const address = normalizeAddress(g.address);
  return { address, name: g.name || nameOf(address), kind, role: g.role };
}

function requestOf(r: RequestEntry, domain: string): PendingRequest {
  const address = normalizeAddress(r.address ?? (r.account ? `@${r.account}:${domain}` : `@${r.id}:${domain}`));
  return { id: r.id, account: r.account, address, name: r.name, note: r.note ?? '' };
}
