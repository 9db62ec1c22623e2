/**
 * The minami result codes and their exact message strings. The seed's clients match on
 * these strings, so they are reproduced byte for byte; codes from 530 up are monami's
 * own additions (documented in docs/protocol.md).
 */
export const MinamiCode = {
  Success: 200,
  FriendOffline: 300,
  RefreshFriendProfile: 301,
  DialogueSent: 302,
  ProtocolError: 403,
  InternalError: 500,
  AccountEmpty: 501,
  PasswordEmpty: 502,
  MailEmpty: 503,
  AccountExists: 504,
  AccountPasswordWrong: 505,
  DialogueIdEmpty: 506,
  DialogueSendFailed: 507,
  FriendIsOffline: 508,
  PayloadMustBeText: 509,
  FriendIdEmpty: 510,
  PayloadEmpty: 511,
  NotFriends: 512,
  LoginInOtherPlace: 513,
  AuthEmpty: 514,
  AuthIllegal: 515,
  NameEmpty: 516,
  AccountIdEmpty: 517,
  AliasEmptyLegacy: 518,
  FriendInfoEmpty: 519,
  ApplyForFriend: 520,
  AliasEmpty: 521,
  AlreadyFriends: 522,
  FriendNotExists: 523,
  AccountInvalid: 530,
  FieldTooLong: 531,
  TooManyAttempts: 532,
  CannotBefriendSelf: 533,
  RelationDeleted: 1004,
} as const;

export type MinamiCode = (typeof MinamiCode)[keyof typeof MinamiCode];

export const minamiMessages: Record<MinamiCode, string> = {
  200: 'Success',
  300: 'Friend Offline',
  301: "Refresh Friend's Profile",
  302: 'Dialogue Sent',
  403: 'Protocol Error',
  500: 'Internal Server Error',
  501: 'Account Info Empty',
  502: 'Password Info Empty',
  503: 'Secure Mail Info Empty',
  504: 'Account Already Exists',
  505: 'Account & Password Wrong',
  506: 'Dialogue ID Empty',
  507: 'Dialogue Send To Friend Failed',
  508: 'Friend Is Offline',
  509: 'Payload Must Be Text',
  510: 'Friend ID Empty',
  511: 'Payload Empty',
  512: 'Not Relation of Friend',
  513: 'Login In Other Place',
  514: 'Auth Info Empty',
  515: 'Auth Illegal',
  516: 'Name Empty',
  517: 'Account ID Empty',
  518: 'Alias Empty',
  519: 'Friend Info Empty',
  520: 'Apply For a Friend',
  521: 'Alias Empty',
  522: 'Already Be Friend',
  523: 'Friend Not Exists',
  530: 'Account Name Invalid',
  531: 'Field Too Long',
  532: 'Too Many Attempts',
  533: 'Cannot Befriend Yourself',
  1004: 'Relation Deleted',
};

/** Codes whose `ok` is true: success and the informational pushes. */
export function isOkCode(code: MinamiCode): boolean {
  return code < 400 || code === MinamiCode.ApplyForFriend || code === MinamiCode.RelationDeleted;
}
