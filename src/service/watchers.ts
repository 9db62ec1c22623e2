import type { Account } from '../domain/account.js';
import type { Bus } from '../bus/bus.js';
import { friendView } from './views.js';

/**
 * Tells everyone who has `person` as a friend how that person is now, each under their own
 * alias: a 301 (`friend-updated`) with their presence, or a 300 (`friend-offline`) when
 * they have just gone offline. Presence changes and profile changes both go through here.
 */
export async function tellWatchers(
  bus: Bus,
  watchers: readonly { ownerId: string; alias: string }[],
  person: Account,
  online: boolean,
  wentOffline = false,
): Promise<void> {
  for (const watcher of watchers) {
    const friend = friendView(person, watcher.alias, online);
    await bus.publish([watcher.ownerId], wentOffline ? { type: 'friend-offline', friend } : { type: 'friend-updated', friend });
  }
}
