import { LiveSession, type Credentials, type LoginSnapshot } from '../../../client/live.js';
import type { Reply } from '../../../client/minami.js';
import { domainOf, normalizeAddress } from '../lib/format.js';
import { contactOf, groupOf, kindOf, requestOf } from './directory.js';
import { minamiProblem } from './errors.js';
import type { PushParts, PushRouter } from './pushes.js';
import { initialState, type Group, type Me, type StateCell } from './state.js';
import { AccountStorage, clearSession, isSessionKey, loadSession, saveSession } from './storage.js';

/** The parts pushes work with (notices aside), and the push router itself. */
export type SessionParts = Omit<PushParts, 'notices'> & { pushes: PushRouter };

/**
 * Signing in and staying signed in: registration, login with a password or the saved token,
 * the login snapshot, reconnection after a dropped socket, and signing out — here or in
 * another tab, since the token is shared by the whole browser.
 */
export class SessionController {
  private retries = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private previewsLoaded = false;

  constructor(private readonly parts: SessionParts) {}

  private get state() {
    return this.parts.cell.state;
  }

  private set(patch: Parameters<StateCell['set']>[0]): void {
    this.parts.cell.set(patch);
  }

  start(): void {
    document.documentElement.lang = this.state.lang === 'zh' ? 'zh-CN' : 'en';
    window.addEventListener('storage', this.onStorage);
    window.addEventListener('online', () => {
      if (this.state.phase === 'app' && this.state.connection === 'offline' && !this.state.evicted) this.reconnectNow();
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.state.active) this.parts.inbox.markRead(this.state.active);
    });
    const saved = loadSession();
    if (!saved) {
      this.set({ phase: 'auth' });
      return;
    }
    this.parts.link.saved = saved;
    this.parts.inbox.seq = new AccountStorage(saved.account).seq;
    void this.connect({ account: saved.account, token: saved.token }, 'token');
  }

  async register(fields: { account: string; password: string; mail: string; name: string; picture: string; sex: string; birthday: string; sign: string }): Promise<void> {
    this.set({ busy: true, authProblem: null });
    let reply: Reply;
    try {
      const body = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== '')) as typeof fields;
      reply = await this.parts.link.http.register(body);
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
    this.parts.inbox.seq = new AccountStorage(account.trim().toLowerCase()).seq;
    await this.connect({ account: account.trim(), password }, 'password');
  }

  retryBoot(): void {
    const { link } = this.parts;
    if (!link.saved) return this.set({ phase: 'auth', bootProblem: null });
    this.set({ bootProblem: null });
    void this.connect({ account: link.saved.account, token: link.saved.token }, 'token');
  }

  /** Revokes the token, closes the socket and forgets the session in this browser. */
  async logout(): Promise<void> {
    const { link } = this.parts;
    const auth = link.auth();
    this.forgetLocally();
    clearSession();
    if (auth) await link.http.logout(auth).catch(() => undefined);
  }

  private forgetLocally(): void {
    const { cell, link, inbox, outbox, calls } = this.parts;
    clearTimeout(this.retryTimer);
    calls.reset();
    const session = link.session;
    link.session = null;
    void session?.close(1000, 'Logout');
    outbox.drop();
    inbox.storage?.forget();
    inbox.storage = null;
    link.saved = null;
    inbox.seq = 0;
    this.previewsLoaded = false;
    document.title = 'monami';
    cell.replace({ ...initialState(this.state.lang), phase: 'auth' });
    cell.notify();
  }

  private async connect(credentials: Credentials, mode: 'password' | 'token' | 'reconnect'): Promise<void> {
    const { link } = this.parts;
    clearTimeout(this.retryTimer);
    const previous = link.session;
    link.session = null;
    void previous?.close();
    const session = LiveSession.connect(location.origin, credentials, { since: this.parts.inbox.seq || undefined });
    link.session = session;
    if (mode === 'reconnect') this.set({ connection: 'connecting', retryAt: null });
    let loggedIn = false;
    session.onPush((frame) => {
      if (link.session === session) this.parts.pushes.onPush(frame);
    });
    void session.closed.then((event) => {
      if (link.session !== session) return;
      link.session = null;
      if (loggedIn) this.onDisconnected(event.code);
      else if (mode === 'reconnect') this.scheduleReconnect();
    });
    let first: LoginSnapshot | Reply;
    try {
      first = await session.login;
    } catch {
      if (link.session !== session && link.session !== null) return;
      // Closed before any frame: the server is unreachable.
      if (mode === 'password') this.set({ busy: false, authProblem: { key: 'err.0' } });
      else if (mode === 'token') this.set({ phase: 'boot', bootProblem: { key: 'err.0' } });
      return;
    }
    if (link.session !== session) return;
    if (first.code === 200 && (first as LoginSnapshot).profile) {
      loggedIn = true;
      this.retries = 0;
      this.applySnapshot(first as LoginSnapshot, credentials.account);
      return;
    }
    const problem = minamiProblem(first);
    link.session = null;
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
    const { cell, link, inbox, directory, conversations, outbox } = this.parts;
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
      cell.replace({ ...initialState(this.state.lang) });
      this.previewsLoaded = false;
    }
    link.saved = { account: me.account, id: me.id, token: snapshot.token };
    saveSession(link.saved);
    inbox.storage = new AccountStorage(me.account);
    const domain = domainOf(me.address);
    const friends = (snapshot.friends ?? []).map((f) => contactOf(f, domain));
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
      unread: inbox.counts(),
      active: s.active && (friends.some((f) => f.address === s.active) || groups.some((g) => g.address === s.active)) ? s.active : null,
    }));
    inbox.updateTitle();
    outbox.sendHeld();
    void directory.loadApplications();
    if (!this.previewsLoaded) {
      this.previewsLoaded = true;
      void conversations.loadPreviews();
    }
  }

  private onDisconnected(code: number): void {
    this.parts.calls.onDisconnected();
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
    const { link } = this.parts;
    if (!link.saved) return;
    this.set({ evicted: false });
    void this.connect({ account: link.saved.account, token: link.saved.token }, 'reconnect');
  }

  private onStorage = (event: StorageEvent) => {
    if (isSessionKey(event.key) && event.newValue === null && this.state.phase === 'app') {
      // Logged out in another tab: the token is revoked, so this tab stops too.
      this.forgetLocally();
      return;
    }
    this.parts.inbox.onStorageKey(event.key);
  };
}
