import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import { AccountService, type AccountServiceOptions } from './accounts.js';
import { FriendService } from './friends.js';
import { SessionService } from './sessions.js';

/** The use cases, the one surface protocol adapters call. */
export interface Services {
  accounts: AccountService;
  friends: FriendService;
  sessions: SessionService;
}

export interface ServiceOptions extends AccountServiceOptions {
  maxSessionsPerUser: number;
}

export function createServices(store: Store, bus: Bus, options: ServiceOptions): Services {
  return {
    accounts: new AccountService(store, options),
    friends: new FriendService(store, bus),
    sessions: new SessionService(store, bus, options.maxSessionsPerUser),
  };
}
