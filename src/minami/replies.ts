import type { Account } from '../domain/account.js';
import { isOkCode, MinamiCode, minamiMessages } from '../domain/codes.js';
import type { SessionEvent } from '../domain/events.js';
import { monsterEventFrame } from '../monster/render.js';
import type { Refusal } from '../service/errors.js';

/** `{"code":…,"message":…,"ok":…}` plus any extra fields, in the seed's field order. */
export function reply(code: MinamiCode, extra?: Record<string, unknown>): Record<string, unknown> {
  return { code, message: minamiMessages[code], ok: isOkCode(code), ...extra };
}

export const refusalCode: Record<Refusal, MinamiCode> = {
  'account-empty': MinamiCode.AccountEmpty,
  'password-empty': MinamiCode.PasswordEmpty,
  'mail-empty': MinamiCode.MailEmpty,
  'account-invalid': MinamiCode.AccountInvalid,
  'account-exists': MinamiCode.AccountExists,
  'field-too-long': MinamiCode.FieldTooLong,
  'wrong-credentials': MinamiCode.AccountPasswordWrong,
  'too-many-attempts': MinamiCode.TooManyAttempts,
  'auth-empty': MinamiCode.AuthEmpty,
  'account-id-empty': MinamiCode.AccountIdEmpty,
  'auth-illegal': MinamiCode.AuthIllegal,
  'name-empty': MinamiCode.NameEmpty,
  'friend-empty': MinamiCode.FriendInfoEmpty,
  'alias-empty': MinamiCode.AliasEmpty,
  self: MinamiCode.CannotBefriendSelf,
  'already-friends': MinamiCode.AlreadyFriends,
  'no-such-account': MinamiCode.FriendNotExists,
  'not-related': MinamiCode.NotFriends,
  'not-friends': MinamiCode.NotFriends,
  'friend-offline': MinamiCode.FriendIsOffline,
  'send-failed': MinamiCode.DialogueSendFailed,
};

export const refusal = (r: Refusal, extra?: Record<string, unknown>) => reply(refusalCode[r], extra);

/** The seed's profile/found entry: id, name, picture, sex, birthday, sign (+ `account`). */
export function personEntry(a: Account): Record<string, unknown> {
  return { id: a.id, name: a.name, picture: a.picture, sex: a.sex, birthday: a.birthday, sign: a.sign, account: a.account };
}

/** Lists the seed shows as `null` when empty. */
export const nullIfEmpty = <T>(list: T[]): T[] | null => (list.length ? list : null);

/**
 * A session event as the login socket frames it: minami frames for the minami events,
 * Monster frames for the rest. `selfId` is the receiving user.
 */
export function eventFrame(event: SessionEvent, selfId: string, domain: string): Record<string, unknown> {
  switch (event.type) {
    case 'friend-request':
      return reply(MinamiCode.ApplyForFriend, { request: event.request });
    case 'friend-updated':
      return reply(MinamiCode.RefreshFriendProfile, { friend: event.friend });
    case 'friend-offline':
      return reply(MinamiCode.FriendOffline, { friend: event.friend });
    case 'relation-deleted':
      return reply(MinamiCode.RelationDeleted, { from: event.peer });
    case 'dialogue':
      return event.from === selfId
        ? reply(MinamiCode.DialogueSent, { id: event.id, to: event.to, payload: event.payload })
        : { id: event.id, from: event.from, payload: event.payload };
    case 'evicted':
      return reply(MinamiCode.LoginInOtherPlace);
    default:
      return monsterEventFrame(event, domain) ?? reply(MinamiCode.InternalError);
  }
}
