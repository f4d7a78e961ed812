/**
 * CSRF with the synchronizer-token pattern (DESIGN decision 8): a random token made at login
 * and kept in the HTTP session, compared in constant time with the X-XSRF-TOKEN header.
 */
import crypto from 'node:crypto';

export const CSRF_HEADER = 'X-XSRF-TOKEN';

export function newCsrfToken(): string {
  return crypto.randomUUID();
}

export function csrfMatches(expected: string | undefined, presented: string | undefined): boolean {
  if (!expected || !presented) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
