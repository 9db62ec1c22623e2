import type { FriendRequestView, FriendView } from './account.js';

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
  | { type: 'evicted' };
