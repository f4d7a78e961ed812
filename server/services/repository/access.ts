/**
 * DeployR's access model for repository files:
 * - Private: visible to the file's authors only (the default),
 * - Restricted: also to authenticated users holding one of the roles named in `restricted`,
 * - Shared: also to every authenticated user,
 * - Public: to everyone, anonymous callers included.
 * Only authors modify a file; every other visibility is read-only.
 */
import { hasRole, isRole, type AuthenticatedUser } from '../users';

export type AccessLevel = 'Private' | 'Restricted' | 'Shared' | 'Public';

export interface AccessControls {
  restricted: string | null;
  shared: boolean;
  published: boolean;
}

/** The access parameters of a call; absent ones are undefined. */
export interface AccessInput {
  restricted?: string;
  shared?: boolean;
  published?: boolean;
}

export function hasAccessInput(input: AccessInput): boolean {
  return input.restricted !== undefined || input.shared !== undefined || input.published !== undefined;
}

/** Role names of a `restricted` value (comma-separated). */
export function restrictedRoles(restricted: string | null): string[] {
  return (restricted ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The controls a call sets. They describe one access level together, so the absent ones take
 * their defaults (not their old values): `shared=true` alone makes a restricted file Shared.
 * Naming roles implies sharing (with those roles), as DeployR reports `shared: true` for them.
 */
export function controlsFrom(input: AccessInput): AccessControls {
  const roles = restrictedRoles(input.restricted ?? null);
  const restricted = roles.length > 0 ? roles.join(',') : null;
  return { restricted, shared: restricted !== null || !!input.shared, published: !!input.published };
}

export function accessOf(c: AccessControls): AccessLevel {
  if (c.published) return 'Public';
  if (c.shared && c.restricted) return 'Restricted';
  if (c.shared) return 'Shared';
  return 'Private';
}

function holdsAnyRole(user: AuthenticatedUser, roles: readonly string[]): boolean {
  if (user.roles.includes('ADMINISTRATOR')) return true;
  return roles.some((r) => (isRole(r) ? hasRole(user, r) : (user.roles as readonly string[]).includes(r)));
}

/** Whether `viewer` (undefined: anonymous) may see a file with these authors and controls. */
export function canSee(viewer: AuthenticatedUser | undefined, file: AccessControls & { authors: readonly string[] }): boolean {
  if (viewer && file.authors.includes(viewer.username)) return true;
  const level = accessOf(file);
  if (level === 'Public') return true;
  if (!viewer) return false;
  if (level === 'Shared') return true;
  if (level === 'Restricted') return holdsAnyRole(viewer, restrictedRoles(file.restricted));
  return false;
}
