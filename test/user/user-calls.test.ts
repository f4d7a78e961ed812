import request from 'supertest';
import { loginAgent, responseOf, startTestServer, type TestServer } from '../helpers/app';

let server: TestServer;
const PASSWORD = 'Secret-123';

beforeAll(async () => {
  server = await startTestServer({ DEPLOYR_ADMIN_PASSWORD: 'admin-pw', DEPLOYR_TESTUSER_PASSWORD: PASSWORD });
  await server.app.services.users.ensureBootstrapUsers({ adminPassword: 'admin-pw', testuserPassword: PASSWORD });
  await server.app.services.users.create({ username: 'george', password: 'george-pw', displayname: 'George Best' });
});
afterAll(() => server.close());

const api = () => request(server.app.app);

describe('/r/user/login', () => {
  it('signs in and answers with user, permissions, limits, uid and the CSRF token', async () => {
    const res = await api().post('/deployr/r/user/login').type('form').send({ username: 'testuser', password: PASSWORD, format: 'json' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const r = responseOf(res);
    expect(r).toMatchObject({
      call: '/r/user/login',
      success: true,
      user: {
        username: 'testuser',
        displayname: 'DeployR API Test Account',
        permissions: { scriptManager: true, powerUser: true, packageManager: true, administrator: false, basicUser: true },
        cookie: null,
      },
      limits: { maxIdleLiveProjectTimeout: 1800, maxConcurrentLiveProjectCount: 170, maxFileUploadSize: 268435456 },
    });
    expect(r.uid).toMatch(/^UID-[0-9A-F]{32}$/);
    expect(res.headers['x-xsrf-token']).toBeTruthy();
    expect(r['X-XSRF-TOKEN']).toBe(res.headers['x-xsrf-token']);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^JSESSIONID=[^;]+; Path=\/deployr; HttpOnly/);
    // Keys in DeployR's order: call, success, payload, uid, token.
    expect(Object.keys(r)).toEqual(['call', 'success', 'user', 'limits', 'uid', 'X-XSRF-TOKEN']);
  });

  it('reports the administrator permission for admin', async () => {
    const res = await api().post('/deployr/r/user/login').type('form').send({ username: 'admin', password: 'admin-pw' });
    expect(responseOf(res).user).toMatchObject({ permissions: { administrator: true, powerUser: true, scriptManager: true, packageManager: true, basicUser: true } });
  });

  it('answers bad credentials with errorCode 940 and creates no session', async () => {
    for (const body of [{ username: 'testuser', password: 'wrong' }, { username: 'nobody', password: 'x' }]) {
      const res = await api().post('/deployr/r/user/login').type('form').send(body);
      expect(res.status).toBe(200);
      expect(responseOf(res)).toMatchObject({ success: false, errorCode: 940, call: '/r/user/login' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('names a missing parameter in a 400 envelope', async () => {
    const res = await api().post('/deployr/r/user/login').type('form').send({ username: 'testuser' });
    expect(res.status).toBe(400);
    const r = responseOf(res);
    expect(r).toMatchObject({ success: false, errorCode: 400 });
    expect(r.error).toContain('password');
  });

  it('accepts GET with query parameters', async () => {
    const res = await api().get('/deployr/r/user/login').query({ username: 'testuser', password: PASSWORD });
    expect(responseOf(res).success).toBe(true);
  });

  it('answers 942 when another user is already signed in on the session', async () => {
    const { agent } = await loginAgent(server, 'testuser', PASSWORD);
    const res = await agent.post('/deployr/r/user/login').type('form').send({ username: 'george', password: 'george-pw' });
    expect(responseOf(res)).toMatchObject({ success: false, errorCode: 942 });
  });

  it('keeps the session id and the token when the same user signs in again', async () => {
    const { agent, token } = await loginAgent(server, 'testuser', PASSWORD);
    const res = await agent.post('/deployr/r/user/login').type('form').send({ username: 'testuser', password: PASSWORD });
    expect(responseOf(res).success).toBe(true);
    expect(res.headers['x-xsrf-token']).toBe(token);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('gives a new session id at login (no fixation)', async () => {
    const planted = 'JSESSIONID=s%3Aplanted.forged';
    const res = await api().post('/deployr/r/user/login').set('Cookie', planted).type('form').send({ username: 'testuser', password: PASSWORD });
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/JSESSIONID=/);
    expect(setCookie).not.toContain('planted');

    // An authenticated session id cannot be planted on a victim's login either: the victim gets a fresh id.
    const first = await api().post('/deployr/r/user/login').type('form').send({ username: 'george', password: 'george-pw' });
    const firstId = /JSESSIONID=([^;]+)/.exec(String(first.headers['set-cookie']))![1];
    await api().post('/deployr/r/user/logout').set('Cookie', `JSESSIONID=${firstId}`).set('X-XSRF-TOKEN', String(first.headers['x-xsrf-token'])).type('form').send({});
    const again = await api().post('/deployr/r/user/login').set('Cookie', `JSESSIONID=${firstId}`).type('form').send({ username: 'testuser', password: PASSWORD });
    expect(String(again.headers['set-cookie'])).not.toContain(firstId);
  });

  it('answers 943 for a disabled account and 945 for an expired password', async () => {
    await server.app.services.users.create({ username: 'disabled1', password: 'pw' });
    await server.app.services.users.setEnabled('disabled1', false);
    let res = await api().post('/deployr/r/user/login').type('form').send({ username: 'disabled1', password: 'pw' });
    expect(responseOf(res)).toMatchObject({ success: false, errorCode: 943 });

    await server.app.services.users.create({ username: 'expired1', password: 'pw' });
    await server.app.services.users.expirePassword('expired1');
    res = await api().post('/deployr/r/user/login').type('form').send({ username: 'expired1', password: 'pw' });
    expect(responseOf(res)).toMatchObject({ success: false, errorCode: 945 });
    // A wrong password on an expired account is still just bad credentials.
    res = await api().post('/deployr/r/user/login').type('form').send({ username: 'expired1', password: 'nope' });
    expect(responseOf(res).errorCode).toBe(940);
  });

  it('locks an account after 10 failed attempts (944), even for the right password, until an admin re-enables it', async () => {
    await server.app.services.users.create({ username: 'locky', password: 'right' });
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await api().post('/deployr/r/user/login').type('form').send({ username: 'locky', password: `wrong${i}` });
      codes.push(Number(responseOf(res).errorCode));
    }
    expect(codes.slice(0, 9)).toEqual(Array(9).fill(940));
    expect(codes[9]).toBe(944);
    const res = await api().post('/deployr/r/user/login').type('form').send({ username: 'locky', password: 'right' });
    expect(responseOf(res)).toMatchObject({ success: false, errorCode: 944 });
    await server.app.services.users.setEnabled('locky', true);
    const ok = await api().post('/deployr/r/user/login').type('form').send({ username: 'locky', password: 'right' });
    expect(responseOf(ok).success).toBe(true);
  });

  it('resets the failure count after a successful login', async () => {
    await server.app.services.users.create({ username: 'resetme', password: 'right' });
    for (let i = 0; i < 9; i++) await api().post('/deployr/r/user/login').type('form').send({ username: 'resetme', password: 'bad' });
    expect(responseOf(await api().post('/deployr/r/user/login').type('form').send({ username: 'resetme', password: 'right' })).success).toBe(true);
    const res = await api().post('/deployr/r/user/login').type('form').send({ username: 'resetme', password: 'bad' });
    expect(responseOf(res).errorCode).toBe(940);
  });

  it('stores disableautosave in the session; /r/user/autosave toggles it', async () => {
    const agent = request.agent(server.app.app);
    const login = await agent.post('/deployr/r/user/login').type('form').send({ username: 'george', password: 'george-pw', disableautosave: 'True' });
    const token = String(login.headers['x-xsrf-token']);
    const sid = decodeURIComponent(/JSESSIONID=s:([^.;]+)/.exec(decodeURIComponent(String(login.headers['set-cookie'])))![1]);
    const sessionRow = async () => (await server.database.db('http_sessions').where({ sid }).first()).sess as { autosave: boolean };
    expect((await sessionRow()).autosave).toBe(false);
    const res = await agent.post('/deployr/r/user/autosave').set('X-XSRF-TOKEN', token).type('form').send({ enable: 'true' });
    expect(responseOf(res)).toMatchObject({ call: '/r/user/autosave', success: true, user: { username: 'george' } });
    expect((await sessionRow()).autosave).toBe(true);
    await agent.post('/deployr/r/user/autosave').set('X-XSRF-TOKEN', token).type('form').send({ enable: '0' });
    expect((await sessionRow()).autosave).toBe(false);
  });

  it('rejects a boolean that is not one', async () => {
    const res = await api().post('/deployr/r/user/login').type('form').send({ username: 'george', password: 'george-pw', disableautosave: 'maybe' });
    expect(res.status).toBe(400);
    expect(responseOf(res).error).toContain('disableautosave');
  });
});

describe('/r/user/about', () => {
  it('answers 401 without a login and creates no session', async () => {
    const res = await api().post('/deployr/r/user/about');
    expect(res.status).toBe(401);
    expect(responseOf(res)).toMatchObject({ success: false, errorCode: 401 });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('returns the same identity as login, with the token', async () => {
    const { agent, token } = await loginAgent(server, 'george', 'george-pw');
    const res = await agent.post('/deployr/r/user/about').set('X-XSRF-TOKEN', token).type('form').send({});
    const r = responseOf(res);
    expect(r).toMatchObject({ call: '/r/user/about', success: true, user: { username: 'george', displayname: 'George Best', cookie: null } });
    expect(r['X-XSRF-TOKEN']).toBe(token);
    expect(res.headers['x-xsrf-token']).toBe(token);
  });
});

describe('/r/user/logout', () => {
  it('stores usercookie, which the next login returns as user.cookie', async () => {
    const { agent, token } = await loginAgent(server, 'george', 'george-pw');
    const res = await agent.post('/deployr/r/user/logout').set('X-XSRF-TOKEN', token).type('form').send({ usercookie: 'theme=dark' });
    expect(responseOf(res)).toMatchObject({ call: '/r/user/logout', success: true });
    expect(String(res.headers['set-cookie'])).toMatch(/JSESSIONID=;/);
    const after = await agent.post('/deployr/r/user/about').set('X-XSRF-TOKEN', token);
    expect(after.status).toBe(401);
    const again = await api().post('/deployr/r/user/login').type('form').send({ username: 'george', password: 'george-pw' });
    expect(responseOf(again).user).toMatchObject({ cookie: 'theme=dark' });
  });

  it('answers 401 when nobody is signed in', async () => {
    const res = await api().post('/deployr/r/user/logout');
    expect(res.status).toBe(401);
  });
});

describe('/r/user/release', () => {
  it('answers with whoami', async () => {
    const { agent, token } = await loginAgent(server, 'george', 'george-pw');
    const res = await agent.post('/deployr/r/user/release').set('X-XSRF-TOKEN', token);
    expect(responseOf(res)).toMatchObject({ call: '/r/user/release', success: true, whoami: 'george' });
  });

  it('calls every registered resource releaser for the user', async () => {
    const released: string[] = [];
    server.app.services.grid.register({
      releaseUser: async (id) => {
        released.push(id);
        return 1;
      },
      releaseHttpSession: async () => 0,
    });
    const { agent, token } = await loginAgent(server, 'testuser', PASSWORD);
    await agent.post('/deployr/r/user/release').set('X-XSRF-TOKEN', token);
    const testuser = await server.app.services.users.get('testuser');
    expect(released).toContain(testuser!.id);
  });
});
