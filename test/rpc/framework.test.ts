import request from 'supertest';
import { parseString } from 'xml2js';
import { loginAgent, responseOf, startTestServer, type TestServer } from '../helpers/app';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ DEPLOYR_CORS_ORIGINS: 'https://app.example.com', DEPLOYR_MAX_FILE_UPLOAD_SIZE: '1024' });
  await server.app.services.users.create({ username: 'alice', password: 'alice-pw', displayname: 'Alice' });
  await server.app.services.users.create({ username: 'basic', password: 'basic-pw', roles: ['BASIC_USER'] });
});
afterAll(() => server.close());

const api = () => request(server.app.app);

function parseXml(text: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => parseString(text, { explicitArray: false }, (err, out) => (err ? reject(err) : resolve(out))));
}

describe('envelope', () => {
  it('renders the same data as element-only XML with format=xml', async () => {
    const res = await api().post('/deployr/r/user/login').type('form').send({ username: 'alice', password: 'alice-pw', format: 'xml' });
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    const xml = await parseXml(res.text);
    const r = (xml.deployr as { response: Record<string, unknown> }).response;
    expect(r.call).toBe('/r/user/login');
    expect(r.success).toBe('true');
    expect(r.user).toMatchObject({ username: 'alice', displayname: 'Alice', permissions: { administrator: 'false', basicUser: 'true' }, cookie: '' });
    expect(r.limits).toMatchObject({ maxFileUploadSize: '1024' });
    expect(r['X-XSRF-TOKEN']).toBe(res.headers['x-xsrf-token']);
    expect(String(r.uid)).toMatch(/^UID-[0-9A-F]{32}$/);
  });

  it('renders failures as XML too', async () => {
    const res = await api().get('/deployr/r/user/login').query({ username: 'alice', password: 'nope', format: 'xml' });
    const r = ((await parseXml(res.text)).deployr as { response: Record<string, string> }).response;
    expect(r).toMatchObject({ success: 'false', errorCode: '940', error: 'Bad credentials' });
  });

  it('tells browsers not to sniff content types', async () => {
    const res = await api().get('/deployr/r/user/about');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers an unknown call with an envelope, not an HTML page', async () => {
    const res = await api().post('/deployr/r/no/such/call');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(responseOf(res)).toMatchObject({ call: '/r/no/such/call', success: false });
  });

  it('answers other methods with 405', async () => {
    for (const method of ['put', 'delete', 'patch'] as const) {
      const res = await api()[method]('/deployr/r/user/about');
      expect(res.status).toBe(405);
      expect(responseOf(res)).toMatchObject({ success: false, errorCode: 405, call: '/r/user/about' });
    }
  });

  it('answers a malformed multipart body with a 400 envelope', async () => {
    const res = await api()
      .post('/deployr/r/user/login')
      .set('Content-Type', 'multipart/form-data; boundary=XYZ')
      .send('--XYZ\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n--XY');
    expect(res.status).toBe(400);
    expect(responseOf(res)).toMatchObject({ success: false, errorCode: 400 });
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses an upload over maxFileUploadSize with a 400 envelope', async () => {
    const res = await api().post('/deployr/r/user/login').field('username', 'alice').field('password', 'alice-pw').attach('file', Buffer.alloc(4096, 1), 'big.bin');
    expect(res.status).toBe(400);
    expect(responseOf(res).error).toMatch(/upload/i);
  });

  it('reads parameters from multipart fields', async () => {
    const res = await api().post('/deployr/r/user/login').field('username', 'alice').field('password', 'alice-pw');
    expect(responseOf(res).success).toBe(true);
  });

  it('lets body parameters win over query parameters', async () => {
    const res = await api().post('/deployr/r/user/login?password=wrong').type('form').send({ username: 'alice', password: 'alice-pw' });
    expect(responseOf(res).success).toBe(true);
  });
});

describe('access', () => {
  it('denies a call to a user without the role (401)', async () => {
    const { agent, token } = await loginAgent(server, 'basic', 'basic-pw');
    const res = await agent.post('/deployr/r/user/about').set('X-XSRF-TOKEN', token);
    expect(responseOf(res).success).toBe(true);
    expect(responseOf(res).user).toMatchObject({ permissions: { powerUser: false, basicUser: true } });
  });
});

describe('CSRF', () => {
  it('requires the token on authenticated POSTs: missing or wrong gives 403, right passes', async () => {
    const { agent, token } = await loginAgent(server, 'alice', 'alice-pw');
    expect((await agent.post('/deployr/r/user/about')).status).toBe(403);
    expect((await agent.post('/deployr/r/user/about').set('X-XSRF-TOKEN', 'not-the-token')).status).toBe(403);
    expect((await agent.post('/deployr/r/user/about').set('X-XSRF-TOKEN', token.slice(0, -1) + 'x')).status).toBe(403);
    const ok = await agent.post('/deployr/r/user/about').set('X-XSRF-TOKEN', token);
    expect(ok.status).toBe(200);
  });

  it('lets reads through GET without the token, but not calls that change state', async () => {
    const { agent, token } = await loginAgent(server, 'alice', 'alice-pw');
    const about = await agent.get('/deployr/r/user/about');
    expect(responseOf(about).success).toBe(true);
    expect(about.headers['x-xsrf-token']).toBe(token);
    expect((await agent.get('/deployr/r/user/release')).status).toBe(403);
    expect((await agent.get('/deployr/r/user/logout')).status).toBe(403);
    expect(responseOf(await agent.get('/deployr/r/user/release').set('X-XSRF-TOKEN', token)).success).toBe(true);
  });

  it('refuses logout without a token and keeps the session', async () => {
    const { agent, token } = await loginAgent(server, 'alice', 'alice-pw');
    const res = await agent.post('/deployr/r/user/logout');
    expect(res.status).toBe(403);
    expect(responseOf(await agent.post('/deployr/r/user/about').set('X-XSRF-TOKEN', token)).success).toBe(true);
  });

  it('does not let one session\'s token work on another session', async () => {
    const a = await loginAgent(server, 'alice', 'alice-pw');
    const b = await loginAgent(server, 'alice', 'alice-pw');
    expect(a.token).not.toBe(b.token);
    expect((await a.agent.post('/deployr/r/user/about').set('X-XSRF-TOKEN', b.token)).status).toBe(403);
  });
});

describe('session cookie forms', () => {
  async function login() {
    const res = await api().post('/deployr/r/user/login').type('form').send({ username: 'alice', password: 'alice-pw' });
    const raw = String(res.headers['set-cookie']);
    const value = /JSESSIONID=([^;]+)/.exec(raw)![1];
    return { value, token: String(res.headers['x-xsrf-token']) };
  }

  it('accepts the raw Set-Cookie string echoed back as the Node client does', async () => {
    const { value, token } = await login();
    const res = await api().post('/deployr/r/user/about').set('Cookie', `JSESSIONID=${value}; Path=/deployr/; HttpOnly`).set('X-XSRF-TOKEN', token);
    expect(responseOf(res)).toMatchObject({ success: true, user: { username: 'alice' } });
  });

  it("accepts the Java client's ;jsessionid= path parameter", async () => {
    const { value } = await login();
    const res = await api().get(`/deployr/r/user/about;jsessionid=${value}`).query({ format: 'json' });
    expect(responseOf(res)).toMatchObject({ success: true, call: '/r/user/about', user: { username: 'alice' } });
  });

  it('ignores a forged cookie', async () => {
    const res = await api().get('/deployr/r/user/about').set('Cookie', 'JSESSIONID=s%3Aforged.signature');
    expect(res.status).toBe(401);
  });
});

describe('CORS', () => {
  it('is credentialed for an allowed origin and exposes the token header', async () => {
    const pre = await api().options('/deployr/r/user/login').set('Origin', 'https://app.example.com').set('Access-Control-Request-Method', 'POST');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(pre.headers['access-control-allow-credentials']).toBe('true');
    expect(pre.headers['access-control-allow-headers']).toMatch(/X-XSRF-TOKEN/);
    const res = await api().post('/deployr/r/user/login').set('Origin', 'https://app.example.com').type('form').send({ username: 'alice', password: 'alice-pw' });
    expect(res.headers['access-control-expose-headers']).toMatch(/X-XSRF-TOKEN/);
  });

  it('says nothing to other origins', async () => {
    const res = await api().post('/deployr/r/user/login').set('Origin', 'https://evil.example.com').type('form').send({ username: 'alice', password: 'alice-pw' });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
