import type { SessionEvent } from '../domain/events.js';
import type { InboxKind, StoredMessage } from '../domain/message.js';

/** One connected session of a user, as the bus sees it. */
export interface SessionHandle {
  readonly id: string;
  readonly userId: string;
  readonly openedAt: number;
  /** Hands the event to the session's transport; false if it could not take it. */
  deliver(event: SessionEvent): boolean;
  close(code: number, reason: string): void;
}

/**
 * How an event reaches a user's sessions wherever they are connected. The default keeps
 * everything in this process; a clustered bus (Redis) implements the same contract.
 */
export interface Bus {
  /** Registers a session; `first` is true when the user had no other session. */
  attach(session: SessionHandle): Promise<{ first: boolean }>;
  /** Unregisters a session; `last` is true when the user has no session left. */
  detach(session: SessionHandle): Promise<{ last: boolean }>;
  /**
   * Delivers to every session of every user, wherever it is connected. Resolves how many
   * sessions of this node took it — with `count: 'everywhere'`, how many took it or hold
   * it on every node (which costs a look at presence on several nodes).
   */
  publish(userIds: readonly string[], event: SessionEvent, count?: 'here' | 'everywhere'): Promise<number>;
  /**
   * Gives each user their inbox entry for one message (`seqs`: user → their number for it),
   * as one publication however many users there are.
   */
  publishInbox(seqs: ReadonlyMap<string, number>, kind: InboxKind, message: StoredMessage, originSession?: string): Promise<void>;
  /** Which of these users have at least one session. */
  online(userIds: readonly string[]): Promise<Set<string>>;
  /** This node's sessions of one user, oldest first. */
  localSessions(userId: string): readonly SessionHandle[];
  /** Sends a message to every other node of the deployment (none when there is one node). */
  broadcast(topic: string, payload: unknown): Promise<void>;
  /** Hears what other nodes broadcast on `topic`. */
  onClusterMessage(topic: string, handler: ClusterMessageHandler): void;
  /**
   * Asks the other nodes; resolves the first answer, or null when none answers within
   * `timeoutMs` (always null on one node).
   */
  request(topic: string, payload: unknown, timeoutMs: number): Promise<unknown>;
  /** Answers other nodes' requests on `topic`; the handler resolves undefined for "not mine". */
  onRequest(topic: string, handler: (payload: unknown) => Promise<unknown>): void;
  /**
   * Hears, on one node of the deployment, of users whose last sessions were on a node that
   * died (nobody else will announce them offline).
   */
  onUsersLost(handler: (userIds: string[]) => Promise<void>): void;
  close(): Promise<void>;
}

export type ClusterMessageHandler = (payload: unknown) => void;
