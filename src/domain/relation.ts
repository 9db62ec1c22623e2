/**
 * The relation between two accounts, seen from an actor A towards a peer B. Each side
 * holds at most one edge: A's edge towards B (`mine`) and B's edge towards A (`theirs`).
 * An edge is either a pending request (with the note and the alias its author chose for
 * when it is accepted) or a friendship (with the author's alias for the other). Friendship
 * is mutual: it only ever exists as two friend edges, created together and removed together.
 */
export interface Edge {
  state: 'requested' | 'friend';
  /** The author's name for the other; empty means "show their own name". */
  alias: string;
  note: string;
}

export interface RelationPair {
  mine: Edge | null;
  theirs: Edge | null;
}

export type RelationStatus = 'none' | 'friends' | 'outgoing' | 'incoming';

export function relationStatus(pair: RelationPair): RelationStatus {
  if (pair.mine?.state === 'friend' || pair.theirs?.state === 'friend') return 'friends';
  if (pair.theirs?.state === 'requested') return 'incoming';
  if (pair.mine?.state === 'requested') return 'outgoing';
  return 'none';
}

/** What a transition did, for the caller to notify the right people. */
export type RelationOutcome =
  | 'requested' // A now has a pending request to B
  | 'befriended' // A and B are now friends
  | 'unfriended' // A ended a friendship
  | 'declined' // A declined B's pending request
  | 'cancelled'; // A withdrew its own pending request

export type RelationRefusal = 'already-friends' | 'not-related';

export type Transition =
  | { ok: true; pair: RelationPair; outcome: RelationOutcome }
  | { ok: false; refusal: RelationRefusal };

const friend = (alias: string): Edge => ({ state: 'friend', alias, note: '' });

/**
 * A asks B. If B had already asked A, both want it: they become friends at once, each
 * keeping the alias they chose (A has none yet unless given).
 */
export function request(pair: RelationPair, note: string, alias = ''): Transition {
  switch (relationStatus(pair)) {
    case 'friends':
      return { ok: false, refusal: 'already-friends' };
    case 'incoming':
      return { ok: true, outcome: 'befriended', pair: { mine: friend(alias), theirs: friend(pair.theirs!.alias) } };
    case 'outgoing':
      // Asking again updates the note; an alias chosen earlier (through add) is kept.
      return { ok: true, outcome: 'requested', pair: { mine: { state: 'requested', alias: alias || pair.mine!.alias, note }, theirs: null } };
    case 'none':
      return { ok: true, outcome: 'requested', pair: { mine: { state: 'requested', alias, note }, theirs: null } };
  }
}

/**
 * A accepts B (the seed's `add`). With B's request pending this makes the friendship;
 * without one it is A asking B, remembering the alias for when B accepts.
 */
export function accept(pair: RelationPair, alias: string): Transition {
  switch (relationStatus(pair)) {
    case 'friends':
      return { ok: false, refusal: 'already-friends' };
    case 'incoming':
      return { ok: true, outcome: 'befriended', pair: { mine: friend(alias), theirs: friend(pair.theirs!.alias) } };
    case 'outgoing':
      return { ok: true, outcome: 'requested', pair: { mine: { ...pair.mine!, alias }, theirs: null } };
    case 'none':
      return { ok: true, outcome: 'requested', pair: { mine: { state: 'requested', alias, note: '' }, theirs: null } };
  }
}

/** A ends whatever stands between A and B: a friendship, B's request, or A's own request. */
export function remove(pair: RelationPair): Transition {
  const empty: RelationPair = { mine: null, theirs: null };
  switch (relationStatus(pair)) {
    case 'friends':
      return { ok: true, outcome: 'unfriended', pair: empty };
    case 'incoming':
      return { ok: true, outcome: 'declined', pair: empty };
    case 'outgoing':
      return { ok: true, outcome: 'cancelled', pair: empty };
    case 'none':
      return { ok: false, refusal: 'not-related' };
  }
}

/**
 * A admits B at once: B applied to A under an open policy (or with the right pass), so
 * no approval is needed. Neither keeps an alias; each sees the other's own name.
 */
export function admit(pair: RelationPair): Transition {
  if (relationStatus(pair) === 'friends') return { ok: false, refusal: 'already-friends' };
  return { ok: true, outcome: 'befriended', pair: { mine: friend(''), theirs: friend('') } };
}

/** A approves B's pending application (Monster 1002); nothing else is approvable. */
export function approve(pair: RelationPair, alias: string): Transition {
  const status = relationStatus(pair);
  if (status === 'friends') return { ok: false, refusal: 'already-friends' };
  if (status !== 'incoming') return { ok: false, refusal: 'not-related' };
  return accept(pair, alias);
}

/** A refuses B's pending application (Monster 1003). */
export function decline(pair: RelationPair): Transition {
  if (relationStatus(pair) !== 'incoming') return { ok: false, refusal: 'not-related' };
  return remove(pair);
}
