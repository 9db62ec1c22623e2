import type { Account, AccountRef, FriendRequestView, FriendView } from './account.js';
import type { InboxEntry } from './message.js';

/** Call signalling relayed between the two parties' sessions. */
export interface CallSignal {
  /** 2002/2003 offer, 2005 ringing, 2006 answer, 2007 candidate, 2008 reject, 2009 hang-up. */
  code: 2002 | 2003 | 2005 | 2006 | 2007 | 2008 | 2009;
  callId: string;
  from: AccountRef;
  to: AccountRef;
  /** base64 signalling payload (SDP or ICE candidate), when the code carries one. */
  text?: string;
  /** Why a call ended (2009): hangup, cancelled, timeout, answered-elsewhere, rejected, disconnected. */
  reason?: string;
}

/**
 * What can happen to a user's session. The service layer publishes these on the bus;
 * each protocol adapter renders them in its own dialect, so the core never knows a
 * wire format and a frame can be serialised once for many recipients.
 */
export type SessionEvent =
  /** Someone asked the recipient to be friends. */
  | { type: 'friend-request'; request: FriendRequestView }
  /** A friend's profile or presence changed, or the friendship was just made. */
  | { type: 'friend-updated'; friend: FriendView }
  /** A friend's last session closed. */
  | { type: 'friend-offline'; friend: FriendView }
  /** The peer ended the relation (friendship or pending request) with the recipient. */
  | { type: 'relation-deleted'; peer: string }
  /** A live 1:1 dialogue; also copied to the sender's other sessions. */
  | { type: 'dialogue'; id: string; from: string; to: string; payload: string; originSession: string }
  /** This session is being closed because the user opened too many others. */
  | { type: 'evicted' }
  /** The recipient's own profile changed: sessions take it up (what they send names them by it); not shown to clients. */
  | { type: 'profile-changed'; account: Account }
  /** A stored message or recall notice, numbered in the recipient's inbox. */
  | { type: 'inbox'; entry: InboxEntry; originSession?: string }
  /** Someone applied to join a group or channel the recipient manages. */
  | { type: 'application'; from: AccountRef; to: AccountRef; note: string }
  /** The recipient's application to a group or channel was accepted or refused. */
  | { type: 'application-answered'; group: AccountRef; accepted: boolean }
  /** A group or channel the recipient belongs to has a new name. */
  | { type: 'group-renamed'; group: Account }
  /** The recipient is no longer a member of a group or channel. */
  | { type: 'membership-ended'; group: AccountRef; member: AccountRef; reason: 'left' | 'removed' | 'deleted' }
  /** A remote server's late answer to a frame the recipient sent (same messageId and code). */
  | { type: 'remote-answer'; frame: Record<string, unknown> }
  /** Call signalling; `onlySession` / `exceptSession` narrow it to some of the user's sessions. */
  | { type: 'call'; signal: CallSignal; onlySession?: string; exceptSession?: string };
