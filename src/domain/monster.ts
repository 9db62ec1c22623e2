/**
 * The Monster protocol's vocabulary: frame codes (the seed's and monami's additions),
 * statusCode values, join policies and the rules that decide applications and posting.
 */
export const MonsterCode = {
  Info: 1000,
  Apply: 1001,
  /** monami: accept a pending application (person or group); pushed to the applicant. */
  Accept: 1002,
  /** monami: refuse a pending application; pushed to the applicant. */
  Reject: 1003,
  RelationDeleted: 1004,
  Message: 2001,
  VoiceCall: 2002,
  VideoCall: 2003,
  Recall: 2004,
  CallRinging: 2005,
  CallAnswer: 2006,
  CallCandidate: 2007,
  CallReject: 2008,
  CallHangup: 2009,
  UpdateProfile: 3001,
  History: 3002,
  Sync: 3003,
  CreateGroup: 3101,
  UpdateGroup: 3102,
  DeleteGroup: 3103,
  SetAdmin: 3104,
  RemoveMember: 3105,
  Members: 3106,
} as const;
export type MonsterCode = (typeof MonsterCode)[keyof typeof MonsterCode];
const MONSTER_CODES: ReadonlySet<number> = new Set(Object.values(MonsterCode));
export const isMonsterCode = (n: number): n is MonsterCode => MONSTER_CODES.has(n);

/** statusCode values. The seed shows 100 (an answer with content) and 200 (done). */
export const Status = {
  Info: 100,
  Done: 200,
  /** Queued for a remote server that has not answered yet; its answer follows as a push. */
  Queued: 202,
  /** A frame pushed by the server rather than an answer. */
  Push: 300,
  BadRequest: 400,
  Unauthenticated: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  /** The recall window has passed. */
  Gone: 410,
  TooLarge: 413,
  /** The callee has no session. */
  Offline: 480,
  Internal: 500,
  /** The address belongs to another server, which could not be reached. */
  RemoteUnavailable: 502,
  /** Federation: another node is handling this very frame; the sending server tries again later. */
  Busy: 503,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

/** The seed's `type` in a 1001 answer. */
export const ApplyType = { Accepted: 1, Pending: 2, WrongPass: 3 } as const;
export type ApplyType = (typeof ApplyType)[keyof typeof ApplyType];

export type JoinPolicy = 'open' | 'approve' | 'pass';
export const JOIN_POLICIES: readonly JoinPolicy[] = ['open', 'approve', 'pass'];

export function decideApplication(policy: JoinPolicy, passMatches: boolean): ApplyType {
  if (policy === 'open') return ApplyType.Accepted;
  if (policy === 'pass') return passMatches ? ApplyType.Accepted : ApplyType.WrongPass;
  return ApplyType.Pending;
}

export type Role = 'owner' | 'admin' | 'member' | 'pending';

export const isManager = (role: Role | null): boolean => role === 'owner' || role === 'admin';

/** In a group every member speaks; in a channel only its owner and admins post. */
export function canPost(accountType: 2 | 3, role: Role | null): boolean {
  if (role === null || role === 'pending') return false;
  return accountType === 2 ? true : isManager(role);
}

/** The profile fields an owner may make public in 1000 `info`, by their seed titles. */
export const INFO_TITLES = ['mail', 'sex', 'birthday', 'synopsis'] as const;
export type InfoTitle = (typeof INFO_TITLES)[number];
export const DEFAULT_PUBLIC: readonly InfoTitle[] = ['synopsis'];

export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/** The conversation a message belongs to: the group, or the unordered pair of people. */
export function conversationKey(senderId: string, targetId: string, targetIsGroup: boolean): string {
  if (targetIsGroup) return targetId;
  return senderId < targetId ? `${senderId}:${targetId}` : `${targetId}:${senderId}`;
}

export const MonsterLimits = {
  messageId: 128,
  /** base64 characters of a 2001 text (48 KiB of content). */
  text: 64 * 1024,
  /** base64 characters of call signalling (SDP offers are a few KiB). */
  signal: 64 * 1024,
  pass: 64,
  historyPage: 100,
  replayPage: 500,
} as const;
