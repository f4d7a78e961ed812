/**
 * Batch administration of users: the commands behind `npm run admin -- ...` / `deployr-admin`.
 * Kept apart from process handling so tests can run them against a test database.
 */
import { isRole, ROLES, type Role, UserService } from '../services/users';

export const USAGE = `usage: deployr-admin <command> [arguments]

  list                                    list users with roles and state
  create <user> --password P [--displayname D] [--roles R1,R2]
                                          create a user (default roles: BASIC_USER,POWER_USER,SCRIPT_MANAGER,PACKAGE_MANAGER)
  passwd <user> --password P              set a password (also clears a lockout)
  roles <user> R1,R2                      replace a user's roles
  disable <user>                          disable a user (login answers 943)
  enable <user>                           enable a user (and clear a lockout)
  expire <user>                           expire a user's password (login answers 945)

  --password - reads the password from standard input.
roles: ${ROLES.join(', ')}`;

export class UsageError extends Error {}

interface Parsed {
  positional: string[];
  options: Record<string, string>;
}

function parse(argv: readonly string[]): Parsed {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2);
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${key} needs a value`);
      options[key] = value;
    } else positional.push(arg);
  }
  return { positional, options };
}

function parseRoles(raw: string): Role[] {
  const roles = raw.split(',').map((r) => r.trim().toUpperCase()).filter(Boolean);
  const bad = roles.filter((r) => !isRole(r));
  if (bad.length) throw new UsageError(`unknown role(s): ${bad.join(', ')}`);
  return roles as Role[];
}

export interface CommandIO {
  out(line: string): void;
  readStdin(): Promise<string>;
}

export async function runAdminCommand(users: UserService, argv: readonly string[], io: CommandIO): Promise<void> {
  const { positional, options } = parse(argv);
  const [command, username, extra] = positional;
  const needUser = () => {
    if (!username) throw new UsageError(`${command} needs a username`);
    return username;
  };
  const password = async () => {
    const p = options.password;
    if (p === undefined) throw new UsageError(`${command} needs --password`);
    return p === '-' ? (await io.readStdin()).replace(/\r?\n$/, '') : p;
  };
  switch (command) {
    case 'list': {
      for (const u of await users.list()) {
        const state = !u.enabled ? 'disabled' : u.locked ? 'locked' : 'enabled';
        io.out(`${u.username}\t${state}\t${u.roles.join(',')}\t${u.displayname}`);
      }
      return;
    }
    case 'create': {
      const u = await users.create({
        username: needUser(),
        password: await password(),
        displayname: options.displayname,
        roles: options.roles ? parseRoles(options.roles) : undefined,
      });
      io.out(`created ${u.username} (${u.roles.join(',')})`);
      return;
    }
    case 'passwd':
      await users.setPassword(needUser(), await password());
      io.out(`password set for ${username}`);
      return;
    case 'roles': {
      if (!extra) throw new UsageError('roles needs a comma-separated role list');
      await users.setRoles(needUser(), parseRoles(extra));
      io.out(`roles of ${username}: ${extra.toUpperCase()}`);
      return;
    }
    case 'disable':
    case 'enable':
      await users.setEnabled(needUser(), command === 'enable');
      io.out(`${username} ${command}d`);
      return;
    case 'expire':
      await users.expirePassword(needUser());
      io.out(`password of ${username} expired`);
      return;
    default:
      throw new UsageError(command ? `unknown command '${command}'` : 'no command given');
  }
}
