import type { Key, Lang, Vars } from '../i18n.js';
import type { CallView } from './calls.js';
import type { Problem } from './errors.js';
import type { Conversation } from './messages.js';

/** What the client shows of a person, the user included. */
interface PersonFields {
  id: string;
  address: string;
  name: string;
  picture: string;
  sex: string;
  birthday: string;
  sign: string;
}

export interface Me extends PersonFields {
  account: string;
}

export interface Contact extends PersonFields {
  account?: string;
  /** The alias the user gave, or the friend's own name. */
  name: string;
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

export const initialState = (lang: Lang): AppState => ({
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

/**
 * The client's state. React reads it through `subscribe`/`getState`; every change replaces
 * the state object, so a changed reference is all a component has to compare.
 */
export class StateCell {
  private current: AppState;
  private readonly listeners = new Set<() => void>();

  constructor(lang: Lang) {
    this.current = initialState(lang);
  }

  get state(): AppState {
    return this.current;
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  set(patch: Partial<AppState> | ((s: AppState) => Partial<AppState>)): void {
    const change = typeof patch === 'function' ? patch(this.current) : patch;
    this.current = { ...this.current, ...change };
    this.notify();
  }

  /** Swaps the whole state without telling the listeners, for a caller that tells them itself. */
  replace(next: AppState): void {
    this.current = next;
  }

  notify(): void {
    for (const l of this.listeners) l();
  }
}
