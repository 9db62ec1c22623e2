import type { Frame } from '../../../client/frames.js';
import { SessionError } from '../../../client/live.js';
import type { Key, Vars } from '../i18n.js';

/**
 * A problem to show the user: a dictionary key (so it follows the language), and the
 * protocol code it came from, shown with it so a report names the exact cause.
 */
export interface Problem {
  key: Key;
  vars?: Vars;
  code?: string | number;
  /** The server's own wording, for the curious (tooltip). */
  detail?: string;
}

const MINAMI_CODES = new Set([403, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 510, 511, 512, 513, 514, 515, 516, 517, 519, 520, 521, 522, 523, 530, 531, 532, 533]);

/** A minami reply `{code, message, ok}` (HTTP endpoints, login refusals, dialogue errors). */
export function minamiProblem(reply: { code?: unknown; message?: unknown }): Problem {
  const code = typeof reply.code === 'number' ? reply.code : 0;
  const key = (MINAMI_CODES.has(code) ? `err.${code}` : code === 0 ? 'err.0' : 'err.unknown') as Key;
  return { key, code: code || undefined, detail: typeof reply.message === 'string' ? reply.message : undefined };
}

const MONSTER_ERRORS: Array<[RegExp, Key]> = [
  [/^not friends$/, 'err.m.notFriends'],
  [/^not a member$/, 'err.m.notMember'],
  [/^only the owner and admins post in a channel$/, 'err.m.channelPost'],
  [/^already friends$/, 'err.m.alreadyFriends'],
  [/^already a member$/, 'err.m.alreadyMember'],
  [/^cannot (apply to|message|call|leave|answer) oneself$/, 'err.m.self'],
  [/^no such account$/, 'err.m.noAccount'],
  [/^not an address$/, 'err.m.notAddress'],
  [/^name taken$/, 'err.m.nameTaken'],
  [/^invalid name$/, 'err.m.invalidName'],
  [/^name missing$/, 'err.m.nameMissing'],
  [/^name empty$/, 'err.m.nicknameEmpty'],
  [/^the callee is offline$/, 'err.m.calleeOffline'],
  [/^the recall window has passed$/, 'err.m.recallWindow'],
  [/^no such message/, 'err.m.noMessage'],
  [/^only the sender recalls a message$/, 'err.m.notSender'],
  [/^the pass policy needs a pass code$/, 'err.m.passNeeded'],
  [/^the owner deletes the group instead of leaving it$/, 'err.m.ownerLeaves'],
  [/^(only the owner|cannot remove an owner)/, 'err.m.notAllowed'],
  [/^no pending application$/, 'err.m.noApplication'],
  [/^no relation$/, 'err.m.noRelation'],
  [/^no such call$/, 'err.m.noCall'],
  [/^not a party to this call$/, 'err.m.notParty'],
  [/^messageId already used/, 'err.m.duplicate'],
  [/^too many attempts$/, 'err.532'],
];

/** Why another server's address could not be used (federation). */
const REMOTE_ERRORS: Array<[RegExp, Key]> = [
  [/^(.+) is not reachable: federation is off$/, 'err.m.federationOff'],
  [/^(.+) is not federated with$/, 'err.m.notFederated'],
  [/^(.+) is a private address, which this server does not contact$/, 'err.m.privateAddress'],
  [/^(.+) could not be reached$/, 'err.m.remote'],
  [/^(.+) is not reachable from this server$/, 'err.m.remote'],
];

const STATUS_KEYS = new Set(['400', '401', '403', '404', '409', '410', '413', '480', '500', '502']);

/** A Monster answer whose statusCode is not a success. */
export function monsterProblem(answer: Frame): Problem {
  const status = typeof answer.statusCode === 'string' ? answer.statusCode : '';
  const error = typeof answer.error === 'string' ? answer.error : '';
  const base = { code: status || undefined, detail: error || undefined };
  const tooLong = /^(\w+) too long$/.exec(error);
  if (tooLong) return { ...base, key: 'err.m.tooLong', vars: { field: tooLong[1]! } };
  for (const [pattern, key] of REMOTE_ERRORS) {
    const m = pattern.exec(error);
    if (m) return { ...base, key, vars: { host: m[1] ?? '' } };
  }
  for (const [pattern, key] of MONSTER_ERRORS) if (pattern.test(error)) return { ...base, key };
  if (STATUS_KEYS.has(status)) return { ...base, key: `err.s.${status}` as Key };
  return { ...base, key: 'err.unknown' };
}

/** A request that got no answer at all. */
export function transportProblem(err: unknown): Problem {
  if (err instanceof SessionError) return { key: err.reason === 'timeout' ? 'err.timeout' : 'err.closed' };
  return { key: 'err.0', detail: err instanceof Error ? err.message : undefined };
}

/** Thrown by store actions; the UI shows its problem. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.key);
  }
}

export const problemOf = (err: unknown): Problem => (err instanceof ProblemError ? err.problem : transportProblem(err));

export const isSuccess = (answer: Frame) => answer.statusCode === '200' || answer.statusCode === '100';

/** Queued for another server, whose answer follows as a push (federation). */
export const isQueued = (answer: Frame) => answer.statusCode === '202';
