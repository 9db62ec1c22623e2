/**
 * Reading untrusted request fields. A field is a string, absent (read as ''), or of the
 * wrong type — an array from a repeated query parameter, an object or number in JSON —
 * which the caller answers with 403 Protocol Error rather than guessing.
 */
export class WrongType extends Error {
  constructor(readonly field: string) {
    super(`field ${field} must be a string`);
  }
}

export function stringField(source: unknown, field: string): string {
  if (source === null || typeof source !== 'object') return '';
  const value = (source as Record<string, unknown>)[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new WrongType(field);
  return value;
}

export function optionalStringField(source: unknown, field: string): string | undefined {
  const value = stringField(source, field);
  return value === '' ? undefined : value;
}
