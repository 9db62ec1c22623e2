import { FieldLimits } from '../domain/account.js';
import type { ProfileChanges } from '../service/monster.js';
import { INFO_TITLES, isBase64, isMonsterCode, JOIN_POLICIES, MonsterCode, MonsterLimits, type InfoTitle, type JoinPolicy } from '../domain/monster.js';

/** A frame whose shape is wrong: answered with statusCode 400 (or 413) and this reason. */
export class FrameError extends Error {
  constructor(
    readonly messageId: string,
    readonly code: number | null,
    reason: string,
    readonly status = 400,
  ) {
    super(reason);
  }
}

/** Profile fields as a frame may carry them (3001, 3101, 3102), checked and typed. */
export type ProfileFields = ProfileChanges;

/** A Monster request whose every field has been checked for presence, type and size. */
export type MonsterRequest = { messageId: string; to: string | null } & (
  | { code: 1000 | 3103 | 3106 }
  | { code: 1001; pass: string; note: string }
  | { code: 1002 | 1004 | 3105 | 1003; member: string | null }
  | { code: 2001 | 2002 | 2003; text: string }
  | { code: 2004; recallMessageId: string }
  | { code: 2005 | 2008 | 2009; callId: string }
  | { code: 2006 | 2007; callId: string; text: string }
  | { code: 3001 | 3102; profile: ProfileFields }
  | { code: 3002; before: number | null; limit: number }
  | { code: 3003; since: number }
  | { code: 3101; name: string; accountType: 2 | 3; profile: ProfileFields }
  | { code: 3104; member: string; admin: boolean }
);

/** Parses one frame. Numbers may come as strings, as the seed writes them. */
export function parseMonsterFrame(frame: Record<string, unknown>): MonsterRequest {
  const rawId = frame.messageId;
  const messageId = typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId)) ? String(rawId) : '';
  const code = integerOf(frame.code);
  const fail = (reason: string, status = 400): never => {
    throw new FrameError(messageId.slice(0, MonsterLimits.messageId), code, reason, status);
  };
  if (code === null) fail('code missing or not a number');
  if (!isMonsterCode(code!)) fail(`unknown code ${code}`);
  if (!messageId) fail('messageId missing');
  if (messageId.length > MonsterLimits.messageId) fail('messageId too long', 413);

  const text = (field: string, required: boolean, limit: number): string => {
    const value = frame[field];
    if (value === undefined || value === null || value === '') return required ? fail(`${field} missing`) : '';
    if (typeof value !== 'string') return fail(`${field} must be a string`);
    if (value.length > limit) return fail(`${field} too long`, 413);
    return value;
  };
  const base64 = (field: string, limit: number) => {
    const value = text(field, true, limit);
    if (!isBase64(value)) fail(`${field} must be base64`);
    return value;
  };
  const toRaw = frame.to;
  if (toRaw !== undefined && toRaw !== null && typeof toRaw !== 'string') fail('to must be an address string');
  const to = typeof toRaw === 'string' && toRaw !== '' ? toRaw : null;
  const base = { messageId, to };

  switch (code as MonsterCode) {
    case 1000:
    case 3103:
    case 3106:
      return { ...base, code: code as 1000 };
    case 1001:
      return { ...base, code: 1001, pass: text('pass', false, MonsterLimits.pass), note: text('note', false, FieldLimits.note) };
    case 1002:
    case 1003:
    case 1004:
    case 3105:
      return { ...base, code: code as 1002, member: text('member', code === 3105, 400) || null };
    case 2001:
      return { ...base, code: 2001, text: base64('text', MonsterLimits.text) };
    case 2002:
    case 2003:
      return { ...base, code: code as 2002, text: base64('text', MonsterLimits.signal) };
    case 2004:
      return { ...base, code: 2004, recallMessageId: text('recallMessageId', true, MonsterLimits.messageId) };
    case 2005:
    case 2008:
    case 2009:
      return { ...base, code: code as 2005, callId: text('callId', true, 64) };
    case 2006:
    case 2007:
      return { ...base, code: code as 2006, callId: text('callId', true, 64), text: base64('text', MonsterLimits.signal) };
    case 3001:
    case 3102:
      return { ...base, code: code as 3001, profile: profileOf(frame, text, fail) };
    case 3002: {
      const before = optionalInteger(frame.before, 'before', fail);
      const limit = optionalInteger(frame.limit, 'limit', fail) ?? 50;
      if (limit < 1 || limit > MonsterLimits.historyPage) fail(`limit must be between 1 and ${MonsterLimits.historyPage}`);
      return { ...base, code: 3002, before, limit };
    }
    case 3003: {
      const since = optionalInteger(frame.since, 'since', fail);
      if (since === null || since < 0) return fail('since missing');
      return { ...base, code: 3003, since };
    }
    case 3101: {
      const accountType = integerOf(frame.accountType);
      if (accountType !== 2 && accountType !== 3) fail('accountType must be 2 (group) or 3 (channel)');
      return { ...base, code: 3101, name: text('name', true, 64), accountType: accountType as 2 | 3, profile: profileOf(frame, text, fail) };
    }
    case 3104: {
      if (typeof frame.admin !== 'boolean') fail('admin must be true or false');
      return { ...base, code: 3104, member: text('member', true, 400), admin: frame.admin as boolean };
    }
    default:
      // Codes that only the server sends (none reach here today) are refused the same way.
      return fail(`code ${code} cannot be sent`);
  }
}

function integerOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return null;
}

function optionalInteger(value: unknown, field: string, fail: (reason: string) => never): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = integerOf(value);
  return n === null ? fail(`${field} must be a non-negative integer`) : n;
}

function profileOf(
  frame: Record<string, unknown>,
  text: (field: string, required: boolean, limit: number) => string,
  fail: (reason: string) => never,
): ProfileFields {
  const profile: ProfileFields = {};
  const optional = (field: string, limit: number) => (frame[field] === undefined ? undefined : text(field, false, limit));
  const name = optional('nickname', FieldLimits.name);
  if (name !== undefined) profile.name = name;
  for (const field of ['picture', 'sex', 'birthday', 'sign'] as const) {
    const value = optional(field, FieldLimits[field]);
    if (value !== undefined) profile[field] = value;
  }
  if (frame.pass !== undefined) profile.pass = text('pass', false, MonsterLimits.pass);
  if (frame.policy !== undefined) {
    if (!JOIN_POLICIES.includes(frame.policy as JoinPolicy)) fail(`policy must be one of ${JOIN_POLICIES.join(', ')}`);
    profile.policy = frame.policy as JoinPolicy;
  }
  if (frame.public !== undefined) {
    const list = frame.public;
    if (!Array.isArray(list) || list.some((t) => !INFO_TITLES.includes(t as InfoTitle))) fail(`public must be a list of ${INFO_TITLES.join(', ')}`);
    profile.publicFields = [...new Set(list as InfoTitle[])];
  }
  return profile;
}
