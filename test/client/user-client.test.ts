import { startTestServer, type TestServer } from '../helpers/app';
import { loadClient, run, type DeployRResponse } from '../helpers/deployr-client';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await server.app.services.users.create({ username: 'george', password: 's3cret', displayname: 'George Best' });
});
afterAll(() => server.close());

it('logs in, reads /r/user/about and logs out through the official deployr client', async () => {
  const deployr = loadClient(server.origin);
  const login = await run(deployr.io('/r/user/login').data({ username: 'george', password: 's3cret' }));
  expect(login.deployr.response.success).toBe(true);
  expect(login.get('username')).toBe('george');

  const about = await run(deployr.io('/r/user/about'));
  expect(about.deployr.response.call).toBe('/r/user/about');
  expect(about.get('displayname')).toBe('George Best');
  expect(about.get('powerUser')).toBe(true);

  const logout = await run(deployr.io('/r/user/logout'));
  expect(logout.deployr.response.success).toBe(true);

  // The session is gone: the same client is now refused.
  await expect(run(deployr.io('/r/user/about'))).rejects.toMatchObject({ deployr: { response: { errorCode: 401 } } });
});

it('surfaces a failed login as the client error with errorCode 940', async () => {
  const deployr = loadClient(server.origin);
  const err = (await run(deployr.io('/r/user/login').data({ username: 'george', password: 'wrong' })).catch((e: DeployRResponse) => e)) as DeployRResponse;
  expect(err.deployr.response).toMatchObject({ success: false, errorCode: 940 });
});
