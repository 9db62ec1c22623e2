/**
 * Why a use case refused. Adapters translate these into their protocol's codes; the
 * service never speaks a wire format.
 */
export type Refusal =
  | 'account-empty'
  | 'password-empty'
  | 'mail-empty'
  | 'account-invalid'
  | 'account-exists'
  | 'field-too-long'
  | 'wrong-credentials'
  | 'too-many-attempts'
  | 'auth-empty'
  | 'account-id-empty'
  | 'auth-illegal'
  | 'name-empty'
  | 'friend-empty'
  | 'alias-empty'
  | 'self'
  | 'already-friends'
  | 'no-such-account'
  | 'not-related'
  | 'not-friends'
  | 'friend-offline'
  | 'send-failed';

export type Result<T = void> = { ok: true; value: T } | { ok: false; refusal: Refusal };

export const success = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const refuse = (refusal: Refusal): { ok: false; refusal: Refusal } => ({ ok: false, refusal });

/** The outcome of a Monster use case: a value, or a statusCode with a short reason. */
export type Outcome<T = void> = { ok: true; value: T } | { ok: false; status: number; reason: string };
export const failed = (status: number, reason: string): { ok: false; status: number; reason: string } => ({ ok: false, status, reason });
