import { isRemoteAccount, type Account, type FriendRequestView, type FriendView } from '../domain/account.js';

/** A friend as one particular user sees them: under that user's alias, if any. */
export function friendView(peer: Account, alias: string, online: boolean): FriendView {
  return {
    id: peer.id,
    account: peer.account,
    name: alias || peer.name,
    picture: peer.picture,
    sex: peer.sex,
    birthday: peer.birthday,
    sign: peer.sign,
    online,
    // Remote friends also carry their Monster address (their `account` is that address).
    ...(isRemoteAccount(peer) ? { address: peer.account } : {}),
  };
}

export function requestView(from: Account, to: string, note: string): FriendRequestView {
  return { id: from.id, account: from.account, name: from.name, to, note, ...(isRemoteAccount(from) ? { address: from.account } : {}) };
}
