import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import { AccountService, type AccountServiceOptions } from './accounts.js';
import { CallService } from './calls.js';
import { FriendService } from './friends.js';
import { MonsterService } from './monster.js';
import { RemoteEventService } from './remote-events.js';
import type { RemoteServers } from './remote.js';
import { SessionService } from './sessions.js';

/** The use cases, the one surface protocol adapters call. */
export interface Services {
  accounts: AccountService;
  friends: FriendService;
  sessions: SessionService;
  monster: MonsterService;
  calls: CallService;
  remoteEvents: RemoteEventService;
}

export interface ServiceOptions extends AccountServiceOptions {
  /** This server's domain, as in its addresses. */
  domain: string;
  maxSessionsPerUser: number;
  recallWindowMs: number;
  ringTimeoutMs: number;
}

/** `remote` reaches other servers; null when federation is off. */
export function createServices(store: Store, bus: Bus, options: ServiceOptions, remote: RemoteServers | null = null): Services {
  const friends = new FriendService(store, bus, remote);
  const sessions = new SessionService(store, bus, options.maxSessionsPerUser, remote);
  const calls = new CallService(bus, options.ringTimeoutMs, remote, async (a, b) => (await store.relation(a, b)).mine?.state === 'friend');
  sessions.onSessionClosed.push((session) => calls.sessionClosed(session));
  bus.onUsersLost((userIds) => sessions.announceGone(userIds));
  const monster = new MonsterService(store, bus, friends, options, remote);
  return {
    accounts: new AccountService(store, options, bus),
    friends,
    sessions,
    monster,
    calls,
    remoteEvents: new RemoteEventService(store, bus, friends),
  };
}
