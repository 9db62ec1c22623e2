import type { Lang } from '../i18n.js';

/** The domain of an address `@name:domain` (everything after the first colon). */
export function domainOf(address: string): string {
  const i = address.indexOf(':');
  return i < 0 ? '' : address.slice(i + 1);
}

/** The local part of an address. */
export function nameOf(address: string): string {
  const i = address.indexOf(':');
  return address.slice(1, i < 0 ? undefined : i);
}

/**
 * An address as servers write it: hosts are case-insensitive (lower-cased), names are
 * kept as written (local names are lower case anyway; another server's may not be).
 */
export function normalizeAddress(address: string): string {
  const a = address.trim();
  const i = a.indexOf(':');
  return i < 0 ? a : a.slice(0, i) + a.slice(i).toLowerCase();
}

/** Something that looks enough like an address to send; the server has the last word. */
export function looksLikeAddress(text: string): boolean {
  return /^@[^\s:@]+:[^\s@]+$/.test(text.trim());
}

const locale = (lang: Lang) => (lang === 'zh' ? 'zh-CN' : 'en');

export function formatTime(time: number, lang: Lang): string {
  return new Date(time).toLocaleTimeString(locale(lang), { hour: '2-digit', minute: '2-digit' });
}

export function dayKey(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function formatDay(time: number, lang: Lang, today: string, yesterday: string): string {
  const now = new Date();
  const key = dayKey(time);
  if (key === dayKey(now.getTime())) return today;
  if (key === dayKey(now.getTime() - 86_400_000)) return yesterday;
  const sameYear = new Date(time).getFullYear() === now.getFullYear();
  return new Date(time).toLocaleDateString(locale(lang), { month: 'short', day: 'numeric', ...(sameYear ? {} : { year: 'numeric' }) });
}

/** A short time for lists: the time today, otherwise the date. */
export function formatShort(time: number, lang: Lang): string {
  const now = new Date();
  if (dayKey(time) === dayKey(now.getTime())) return formatTime(time, lang);
  return new Date(time).toLocaleDateString(locale(lang), { month: 'numeric', day: 'numeric' });
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** 128 random bits as hex: message ids that never collide across tabs and devices. */
export function newMessageId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Bytes of UTF-8. */
export const utf8Length = (text: string) => new TextEncoder().encode(text).length;
