import type { Account } from '../domain/account.js';
import type { Address } from '../domain/address.js';
import type { AccountRecord } from '../store/store.js';

export type Frame = Record<string, unknown>;

/**
 * Between servers only: an account's server tells another server that the account (a
 * person, a group or a channel) has a new name. The frame carries nothing but its envelope,
 * whose `fromName` renames the stand-in there like any frame of the account's own server;
 * without it a rename travelled only with the account's next frame to that server.
 */
export const PROFILE_NOTICE = 3005;

/**
 * How the use cases reach accounts of other servers (implemented by federation/). Frames
 * are Monster frames; the implementation adds `from` and `to`.
 */
export interface RemoteServers {
  /** The local stand-in of a remote address (created on first use), or why there is none. */
  remoteAccount(address: Address): Promise<AccountRecord | { status: number; reason: string }>;
  /** Queues a frame for `target`'s server, acting for the local `actor`; durable once it resolves. */
  forward(actor: Account, target: Pick<Account, 'account'>, frame: Frame): Promise<number>;
  /**
   * Queues a frame and waits a little for the remote's answer; null when it has not come
   * yet (the actor is told when it does).
   */
  forwardAndWait(actor: Account, target: Account, frame: Frame): Promise<Frame | null>;
  /** Asks `target`'s server now, without queueing (reads and live signalling). Throws when unreachable. */
  ask(actor: Account | null, target: Account, frame: Frame): Promise<Frame>;
  /** Queues one frame from a local group per server among `members`, naming that server's members. */
  fanOut(group: Account, members: readonly Pick<Account, 'account'>[], frame: Frame): Promise<void>;
}
