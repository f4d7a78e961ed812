import request from 'supertest';
import { runAdminCommand, UsageError } from '../../server/cli/admin-commands';
import { responseOf, startTestServer, type TestServer } from '../helpers/app';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function admin(...argv: string[]): Promise<string[]> {
  const out: string[] = [];
  await runAdminCommand(server.app.services.users, argv, { out: (l) => out.push(l), readStdin: async () => 'from-stdin\n' });
  return out;
}

const login = (username: string, password: string) =>
  request(server.app.app).post('/deployr/r/user/login').type('form').send({ username, password }).then(responseOf);

it('creates, lists, disables, enables, sets passwords and roles', async () => {
  await admin('create', 'carol', '--password', 'pw1', '--displayname', 'Carol C', '--roles', 'basic_user,power_user');
  expect(await login('carol', 'pw1')).toMatchObject({ success: true, user: { displayname: 'Carol C', permissions: { powerUser: true, scriptManager: false } } });

  expect((await admin('list')).find((l) => l.startsWith('carol\t'))).toBe('carol\tenabled\tBASIC_USER,POWER_USER\tCarol C');

  await admin('disable', 'carol');
  expect((await login('carol', 'pw1')).errorCode).toBe(943);
  await admin('enable', 'carol');
  expect((await login('carol', 'pw1')).success).toBe(true);

  await admin('passwd', 'carol', '--password', '-');
  expect((await login('carol', 'pw1')).errorCode).toBe(940);
  expect((await login('carol', 'from-stdin')).success).toBe(true);

  await admin('roles', 'carol', 'ADMINISTRATOR');
  expect(await login('carol', 'from-stdin')).toMatchObject({ user: { permissions: { administrator: true } } });

  await admin('expire', 'carol');
  expect((await login('carol', 'from-stdin')).errorCode).toBe(945);
});

it('rejects bad usage and unknown roles', async () => {
  await expect(admin('frobnicate')).rejects.toBeInstanceOf(UsageError);
  await expect(admin('create', 'dave')).rejects.toBeInstanceOf(UsageError);
  await expect(admin('roles', 'carol', 'KING')).rejects.toThrow(/unknown role/);
  await expect(admin('create', 'bad name', '--password', 'x')).rejects.toThrow(/Invalid username/);
  await expect(admin('disable', 'nobody')).rejects.toThrow(/No such user/);
});
