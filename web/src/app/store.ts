import type { Frame } from '../../../client/frames.js';
import type { MinamiHttp, Person } from '../../../client/minami.js';
import { browserLanguage, isLang, translate, type Key, type Lang, type Vars } from '../i18n.js';
import { CallManager } from './calls.js';
import { Conversations } from './conversations.js';
import { Directory } from './directory.js';
import type { Problem } from './errors.js';
import { Inbox } from './inbox.js';
import { ServerLink } from './link.js';
import { Notices } from './notices.js';
import { Outbox } from './outbox.js';
import { PushRouter } from './pushes.js';
import { SessionController } from './session.js';
import { StateCell, type AccountInfo, type AppState, type Contact, type GroupKind, type Member, type PendingRequest, type ProfileChanges, type Toast } from './state.js';
import { loadLanguage, saveLanguage } from './storage.js';

export { PAGE } from './conversations.js';
export { MAX_TEXT_BYTES } from './outbox.js';
export type { AccountInfo, AppState, Application, Connection, Contact, Group, GroupKind, Me, Member, PendingRequest, ProfileChanges, Toast } from './state.js';

/**
 * What the UI talks to. The work is done by the parts below, which share one state; this
 * class only wires them together, so components depend on a single object whatever the
 * split behind it.
 */
export class ChatStore {
  private readonly cell: StateCell;
  private readonly link = new ServerLink();
  private readonly notices: Notices;
  private readonly inbox: Inbox;
  private readonly directory: Directory;
  private readonly conversations: Conversations;
  private readonly outbox: Outbox;
  private readonly session: SessionController;
  readonly http: MinamiHttp = this.link.http;
  readonly calls: CallManager;

  constructor() {
    const saved = loadLanguage();
    const cell = (this.cell = new StateCell(isLang(saved) ? saved : browserLanguage()));
    const link = this.link;
    const notices = (this.notices = new Notices(cell));
    const inbox = (this.inbox = new Inbox(cell));
    const calls = (this.calls = new CallManager({
      request: (frame, timeoutMs) => this.request(frame, timeoutMs),
      nameOf: (address) => this.displayName(address),
      setView: (call) => cell.set({ call }),
      getView: () => cell.state.call,
      notify: (kind, key, vars) => this.toast(kind, key, vars),
    }));
    const directory = (this.directory = new Directory(cell, link, notices, calls));
    const conversations = (this.conversations = new Conversations(cell, link, inbox, directory));
    const outbox = (this.outbox = new Outbox(cell, link, inbox, directory, conversations));
    const pushes = new PushRouter({ cell, link, inbox, directory, conversations, outbox, notices, calls });
    this.session = new SessionController({ cell, link, inbox, directory, conversations, outbox, pushes, calls });
  }

  subscribe = (listener: () => void) => this.cell.subscribe(listener);

  getState = (): AppState => this.cell.state;

  t = (key: Key, vars?: Vars) => translate(this.cell.state.lang, key, vars);

  // ---------------------------------------------------------------- start, login, logout

  start(): void {
    this.session.start();
  }

  setLang(lang: Lang): void {
    saveLanguage(lang);
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    this.cell.set({ lang });
  }

  register(fields: { account: string; password: string; mail: string; name: string; picture: string; sex: string; birthday: string; sign: string }): Promise<void> {
    return this.session.register(fields);
  }

  login(account: string, password: string): Promise<void> {
    return this.session.login(account, password);
  }

  retryBoot(): void {
    this.session.retryBoot();
  }

  /** Revokes the token, closes the socket and forgets the session in this browser. */
  logout(): Promise<void> {
    return this.session.logout();
  }

  reconnectNow(): void {
    this.session.reconnectNow();
  }

  /** A Monster frame on the login socket; resolves the answer whatever its status. */
  request(frame: Frame, timeoutMs?: number): Promise<Frame> {
    return this.link.request(frame, timeoutMs);
  }

  // ---------------------------------------------------------------- conversations

  openConversation(address: string | null): void {
    this.conversations.open(address);
  }

  /** The page of history before the oldest message shown. */
  loadOlder(address: string): Promise<void> {
    return this.conversations.loadOlder(address);
  }

  send(address: string, text: string): void {
    this.outbox.send(address, text);
  }

  retry(address: string, key: string): void {
    this.outbox.retry(address, key);
  }

  recall(address: string, key: string): Promise<void> {
    return this.outbox.recall(address, key);
  }

  /** Marks a conversation read up to `upTo` (or everything known); other tabs follow. */
  markRead(address: string, upTo?: number): void {
    this.inbox.markRead(address, upTo);
  }

  // ---------------------------------------------------------------- contacts

  displayName(address: string): string {
    return this.directory.displayName(address);
  }

  search(name: string): Promise<Array<Person & { address: string }>> {
    return this.directory.search(name);
  }

  /** 1000: an account's public information, local or remote. */
  accountInfo(address: string): Promise<AccountInfo> {
    return this.directory.accountInfo(address);
  }

  /**
   * 1001: befriend a person or join a group or channel. Resolves the answer's `type`, or
   * `queued` when another server has not answered yet (its answer is told when it comes).
   */
  apply(address: string, options: { pass?: string; note?: string; name?: string } = {}): Promise<'1' | '2' | '3' | 'queued'> {
    return this.directory.apply(address, options);
  }

  acceptRequest(request: PendingRequest, alias: string): Promise<void> {
    return this.directory.acceptRequest(request, alias);
  }

  declineRequest(request: PendingRequest): Promise<void> {
    return this.directory.declineRequest(request);
  }

  removeFriend(contact: Contact): Promise<void> {
    return this.directory.removeFriend(contact);
  }

  // ---------------------------------------------------------------- groups

  createGroup(options: { name: string; kind: GroupKind; nickname: string; policy: string; pass: string }): Promise<string> {
    return this.directory.createGroup(options);
  }

  updateGroup(address: string, changes: ProfileChanges): Promise<void> {
    return this.directory.updateGroup(address, changes);
  }

  members(address: string): Promise<Member[]> {
    return this.directory.members(address);
  }

  answerApplication(group: string, member: string, accept: boolean): Promise<void> {
    return this.directory.answerApplication(group, member, accept);
  }

  setAdmin(group: string, member: string, admin: boolean): Promise<void> {
    return this.directory.setAdmin(group, member, admin);
  }

  removeMember(group: string, member: string): Promise<void> {
    return this.directory.removeMember(group, member);
  }

  leaveGroup(address: string): Promise<void> {
    return this.directory.leaveGroup(address);
  }

  deleteGroup(address: string): Promise<void> {
    return this.directory.deleteGroup(address);
  }

  // ---------------------------------------------------------------- profile

  updateProfile(changes: ProfileChanges): Promise<void> {
    return this.directory.updateProfile(changes);
  }

  // ---------------------------------------------------------------- notices

  toast(kind: Toast['kind'], key: Key, vars?: Vars, problem?: Problem): void {
    this.notices.toast(kind, key, vars, problem);
  }

  fail(problem: Problem): void {
    this.notices.fail(problem);
  }

  dismiss(id: number): void {
    this.notices.dismiss(id);
  }
}
