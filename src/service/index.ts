import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import { AccountService, type AccountServiceOptions } from './accounts.js';
import { CallService } from './calls.js';
import { FriendService } from './friends.js';
import { MonsterService } from './monster.js';
import { SessionService } from './sessions.js';

/** The use cases, the one surface protocol adapters call. */
export interface Services {
  accounts: AccountService;
  friends: FriendService;
  sessions: SessionService;
  monster: MonsterService;
  calls: CallService;
}

export interface ServiceOptions extends AccountServiceOptions {
  maxSessionsPerUser: number;
  recallWindowMs: number;
  ringTimeoutMs: number;
}

export function createServices(store: Store, bus: Bus, options: ServiceOptions): Services {
  const friends = new FriendService(store, bus);
  const sessions = new SessionService(store, bus, options.maxSessionsPerUser);
  const calls = new CallService(bus, options.ringTimeoutMs);
  sessions.onSessionClosed.push((session) => calls.sessionClosed(session));
  return {
    accounts: new AccountService(store, options),
    friends,
    sessions,
    monster: new MonsterService(store, bus, friends, options),
    calls,
  };
}
