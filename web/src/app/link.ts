import type { Frame } from '../../../client/frames.js';
import { SessionError, type LiveSession } from '../../../client/live.js';
import { MinamiHttp, type Auth, type Reply } from '../../../client/minami.js';
import { isSuccess, minamiProblem, monsterProblem, ProblemError, transportProblem } from './errors.js';
import type { SavedSession } from './storage.js';

/** A frame field that should be text; anything else reads as empty. */
export const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * The way to the server: Monster frames over the current login socket, and minami HTTP calls
 * authenticated with the saved session. Requests fail cleanly while there is no socket, so
 * callers never have to check first.
 */
export class ServerLink {
  session: LiveSession | null = null;
  saved: SavedSession | null = null;
  /** Frames answered 202 (queued for another server) whose late answer this page waits for. */
  readonly queued = new Map<string, { address: string; name: string }>();
  readonly http = new MinamiHttp(location.origin);

  auth(): Auth | null {
    return this.saved ? { id: this.saved.id, token: this.saved.token } : null;
  }

  /** A Monster frame on the login socket; resolves the answer whatever its status. */
  async request(frame: Frame, timeoutMs?: number): Promise<Frame> {
    const session = this.session;
    if (!session?.open) throw new SessionError('closed');
    return session.request(frame, timeoutMs);
  }

  /** A request that must succeed: a failure becomes a ProblemError. */
  async must(frame: Frame): Promise<Frame> {
    let answer: Frame;
    try {
      answer = await this.request(frame);
    } catch (err) {
      throw new ProblemError(transportProblem(err));
    }
    if (!isSuccess(answer)) throw new ProblemError(monsterProblem(answer));
    return answer;
  }

  async minami(call: (auth: Auth) => Promise<Reply>): Promise<Reply> {
    const auth = this.auth();
    if (!auth) throw new ProblemError({ key: 'err.514', code: 514 });
    let reply: Reply;
    try {
      reply = await call(auth);
    } catch {
      throw new ProblemError({ key: 'err.0' });
    }
    if (reply.code !== 200) throw new ProblemError(minamiProblem(reply));
    return reply;
  }
}
