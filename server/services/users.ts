/**
 * Users, roles and authentication. Knows nothing of HTTP: the login route decides what to do
 * with the session, this decides whether the credentials are good.
 */
import type { Db } from '../db/knex';
import * as users from '../../models/users';
import type { UserRow } from '../../models/users';
import { DeployRError } from '../rpc/errors';
import { generatePassword, hashPassword, verifyPassword } from './passwords';

export const ROLES = ['BASIC_USER', 'POWER_USER', 'SCRIPT_MANAGER', 'PACKAGE_MANAGER', 'ADMINISTRATOR'] as const;
export type Role = (typeof ROLES)[number];

/** The usual non-admin roles (those of DeployR's `testuser`). */
export const DEFAULT_USER_ROLES: Role[] = ['BASIC_USER', 'POWER_USER', 'SCRIPT_MANAGER', 'PACKAGE_MANAGER'];

export interface AuthenticatedUser {
  id: string;
  username: string;
  displayname: string;
  roles: Role[];
}

/** `user.permissions` as the login response shows it. */
export interface Permissions {
  scriptManager: boolean;
  powerUser: boolean;
  packageManager: boolean;
  administrator: boolean;
  basicUser: boolean;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** ADMINISTRATOR holds every role; every account is a BASIC_USER. */
export function hasRole(user: Pick<AuthenticatedUser, 'roles'>, role: Role): boolean {
  return role === 'BASIC_USER' || user.roles.includes(role) || user.roles.includes('ADMINISTRATOR');
}

export function permissionsOf(user: Pick<AuthenticatedUser, 'roles'>): Permissions {
  return {
    scriptManager: hasRole(user, 'SCRIPT_MANAGER'),
    powerUser: hasRole(user, 'POWER_USER'),
    packageManager: hasRole(user, 'PACKAGE_MANAGER'),
    administrator: hasRole(user, 'ADMINISTRATOR'),
    basicUser: true,
  };
}

function toAuthenticated(row: UserRow): AuthenticatedUser {
  return { id: String(row.id), username: row.username, displayname: row.displayname, roles: row.roles.filter(isRole) };
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export interface UserPolicy {
  lockoutAttempts: number;
  lockoutMinutes: number;
}

export interface UserSummary extends AuthenticatedUser {
  enabled: boolean;
  locked: boolean;
}

export class UserService {
  constructor(
    private readonly db: Db,
    private readonly policy: UserPolicy,
  ) {}

  /**
   * Checks credentials in the order Spring Security did for DeployR: account state first
   * (locked 944, disabled 943), then the password (940, counting towards the lock), then an
   * expired password (945). An unknown user costs a hash too, so timing does not tell.
   */
  async authenticate(username: string, password: string): Promise<AuthenticatedUser> {
    const row = await users.findByUsername(this.db, username);
    if (!row) {
      await verifyPassword(password, DUMMY_HASH);
      throw new DeployRError(940, 'Bad credentials');
    }
    const now = new Date();
    if (row.locked_until && row.locked_until > now) {
      throw new DeployRError(944, 'User account is locked');
    }
    if (!row.enabled) throw new DeployRError(943, 'User is disabled');
    if (!(await verifyPassword(password, row.password_hash))) {
      const lockUntil = new Date(now.getTime() + this.policy.lockoutMinutes * 60_000);
      const failures = await users.recordFailedLogin(this.db, row.id, this.policy.lockoutAttempts, lockUntil);
      if (failures >= this.policy.lockoutAttempts) throw new DeployRError(944, 'User account is locked');
      throw new DeployRError(940, 'Bad credentials');
    }
    if (row.password_expires_at && row.password_expires_at <= now) {
      throw new DeployRError(945, 'User credentials have expired');
    }
    if (row.failed_logins > 0 || row.locked_until) {
      await users.update(this.db, row.id, { failed_logins: 0, locked_until: null });
    }
    return toAuthenticated(row);
  }

  async cookieOf(userId: string): Promise<string | null> {
    return (await users.findById(this.db, userId))?.cookie ?? null;
  }

  async setCookie(userId: string, cookie: string | null): Promise<void> {
    await users.update(this.db, userId, { cookie });
  }

  async create(input: { username: string; password: string; displayname?: string; roles?: Role[]; enabled?: boolean }): Promise<AuthenticatedUser> {
    if (!USERNAME.test(input.username)) throw new DeployRError(400, `Invalid username '${input.username}'`);
    if (input.password.length < 1) throw new DeployRError(400, 'Password must not be empty');
    if (await users.findByUsername(this.db, input.username)) {
      throw new DeployRError(400, `User '${input.username}' already exists`);
    }
    const row = await users.insert(this.db, {
      username: input.username,
      displayname: input.displayname ?? input.username,
      password_hash: await hashPassword(input.password),
      roles: input.roles ?? DEFAULT_USER_ROLES,
      enabled: input.enabled ?? true,
    });
    return toAuthenticated(row);
  }

  async get(username: string): Promise<UserSummary | undefined> {
    const row = await users.findByUsername(this.db, username);
    return row ? summary(row) : undefined;
  }

  async list(): Promise<UserSummary[]> {
    return (await users.list(this.db)).map(summary);
  }

  async setPassword(username: string, password: string, expiresAt: Date | null = null): Promise<void> {
    const row = await this.require(username);
    await users.update(this.db, row.id, {
      password_hash: await hashPassword(password),
      password_expires_at: expiresAt,
      failed_logins: 0,
      locked_until: null,
    });
  }

  async setRoles(username: string, roles: Role[]): Promise<void> {
    const row = await this.require(username);
    await users.update(this.db, row.id, { roles: Array.from(new Set(roles)) });
  }

  async setEnabled(username: string, enabled: boolean): Promise<void> {
    const row = await this.require(username);
    await users.update(this.db, row.id, { enabled, ...(enabled ? { failed_logins: 0, locked_until: null } : {}) });
  }

  async setDisplayName(username: string, displayname: string): Promise<void> {
    const row = await this.require(username);
    await users.update(this.db, row.id, { displayname });
  }

  async expirePassword(username: string): Promise<void> {
    const row = await this.require(username);
    await users.update(this.db, row.id, { password_expires_at: new Date() });
  }

  /**
   * First-start accounts: `admin` (password from config, else generated and returned so the
   * caller can print it once) and `testuser` when its password is configured.
   */
  async ensureBootstrapUsers(opts: { adminPassword?: string; testuserPassword?: string }): Promise<{ generatedAdminPassword?: string }> {
    const out: { generatedAdminPassword?: string } = {};
    if (!(await users.findByUsername(this.db, 'admin'))) {
      const password = opts.adminPassword ?? generatePassword();
      if (!opts.adminPassword) out.generatedAdminPassword = password;
      await this.createIgnoringRace({ username: 'admin', password, displayname: 'Administrator', roles: [...ROLES] });
    } else if (opts.adminPassword) {
      // The configured password is the source of truth for the admin account.
      const row = await users.findByUsername(this.db, 'admin');
      if (row && !(await verifyPassword(opts.adminPassword, row.password_hash))) await this.setPassword('admin', opts.adminPassword);
    }
    if (opts.testuserPassword) {
      const row = await users.findByUsername(this.db, 'testuser');
      if (!row) {
        await this.createIgnoringRace({ username: 'testuser', password: opts.testuserPassword, displayname: 'DeployR API Test Account', roles: DEFAULT_USER_ROLES });
      } else if (!(await verifyPassword(opts.testuserPassword, row.password_hash))) {
        await this.setPassword('testuser', opts.testuserPassword);
      }
    }
    return out;
  }

  private async createIgnoringRace(input: Parameters<UserService['create']>[0]): Promise<void> {
    try {
      await this.create(input);
    } catch (err) {
      // Another server process sharing the database created it first.
      if (!(await users.findByUsername(this.db, input.username))) throw err;
    }
  }

  private async require(username: string): Promise<UserRow> {
    const row = await users.findByUsername(this.db, username);
    if (!row) throw new DeployRError(400, `No such user '${username}'`);
    return row;
  }
}

function summary(row: UserRow): UserSummary {
  return { ...toAuthenticated(row), enabled: row.enabled, locked: !!row.locked_until && row.locked_until > new Date() };
}

// A valid hash of a random password: verifying against it costs what a real check costs.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
