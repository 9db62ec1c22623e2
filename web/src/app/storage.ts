/**
 * What the client keeps in the browser: the session (account, id and token — never the
 * password), the highest inbox number seen, read marks and unread messages per
 * conversation, and the chosen language. Storage can be unavailable (private modes,
 * quotas): every access is allowed to fail.
 */

export interface SavedSession {
  account: string;
  id: string;
  token: string;
}

const SESSION_KEY = 'monami.session';
const LANGUAGE_KEY = 'monami.language';

function read<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? null : (JSON.parse(raw) as T);
  } catch {
    return null;
  }
}

function write(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* not kept: the app works without it */
  }
}

function remove(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    /* nothing to remove */
  }
}

export function loadSession(): SavedSession | null {
  const s = read<SavedSession>(SESSION_KEY);
  return s && typeof s.account === 'string' && /^[0-9a-f]{32}$/.test(s.id) && /^[0-9a-f]{32}$/.test(s.token) ? s : null;
}

export const saveSession = (s: SavedSession) => write(SESSION_KEY, { account: s.account, id: s.id, token: s.token });
export const clearSession = () => remove(SESSION_KEY);
export const isSessionKey = (key: string | null) => key === SESSION_KEY;

export const loadLanguage = () => read<string>(LANGUAGE_KEY);
export const saveLanguage = (lang: string) => write(LANGUAGE_KEY, lang);

/** Per-account keys: `monami.<account>.<what>`. */
export class AccountStorage {
  constructor(readonly account: string) {}

  key(what: 'seq' | 'read' | 'unread'): string {
    return `monami.${this.account}.${what}`;
  }

  /** The highest inbox `seq` any tab of this browser has seen for the account. */
  get seq(): number {
    const n = read<number>(this.key('seq'));
    return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : 0;
  }

  noteSeq(seq: number): void {
    if (seq > this.seq) write(this.key('seq'), seq);
  }

  /** Per conversation: the highest message id read. */
  get read(): Record<string, number> {
    return read<Record<string, number>>(this.key('read')) ?? {};
  }

  set read(marks: Record<string, number>) {
    write(this.key('read'), marks);
  }

  /** Per conversation: ids of messages not read yet. */
  get unread(): Record<string, number[]> {
    return read<Record<string, number[]>>(this.key('unread')) ?? {};
  }

  set unread(map: Record<string, number[]>) {
    write(this.key('unread'), map);
  }

  forget(): void {
    for (const what of ['seq', 'read', 'unread'] as const) remove(this.key(what));
  }
}
