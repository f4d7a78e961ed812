/**
 * Every call, fed hostile values for every parameter it declares, anonymous and signed in:
 * always an envelope with a documented status, never a 500, a stack trace, a hang or a
 * "General Server Error" (which would mean an unexpected exception).
 */
import request from 'supertest';
import { allCalls } from '../../routes';
import { loginAgent, responseOf, startTestServer, type TestServer } from '../helpers/app';

let server: TestServer;
let signedIn: Awaited<ReturnType<typeof loginAgent>>;

beforeAll(async () => {
  server = await startTestServer({ DEPLOYR_R_POOL_MIN: '0' });
  await server.app.services.users.create({ username: 'fuzz', password: 'pw', roles: ['BASIC_USER', 'POWER_USER'] });
  signedIn = await loginAgent(server, 'fuzz', 'pw');
}, 120_000);
afterAll(() => server.close(), 60_000);

const HOSTILE = ['', '\u0000', '../../../../etc/passwd', 'x'.repeat(5000), '{"a":', '-1', '99999999999999999999', 'True', 'a,b,,c', '<script>', 'PROJECT-00000000-0000-0000-0000-000000000000', 'external:root:..'];
const STATUSES = [200, 400, 401, 403, 404, 409];

const calls = allCalls.filter((c) => c.path !== '/r/user/logout' && c.path !== '/r/user/release');

describe.each(calls.map((c) => [c.path, c] as const))('%s', (_path, call) => {
  it('answers hostile parameters with an envelope', async () => {
    const names = Object.entries(call.params).filter(([, spec]) => spec.type !== 'file').map(([n]) => n);
    for (const value of HOSTILE) {
      const body: Record<string, string> = { format: 'json' };
      for (const n of names) body[n] = value;
      for (const anonymous of [true, false]) {
        const req = anonymous ? request(server.app.app).post(`/deployr${call.path}`) : signedIn.agent.post(`/deployr${call.path}`).set('X-XSRF-TOKEN', signedIn.token);
        const res = await req.type('form').send(body).timeout(30_000);
        expect(STATUSES).toContain(res.status);
        if (res.headers['content-type']?.startsWith('application/json')) {
          const r = responseOf(res);
          expect(r.error ?? '').not.toMatch(/General Server Error/);
        }
        expect(res.text).not.toMatch(/\n\s+at .+\.(ts|js):\d+/);
      }
    }
  }, 120_000);
});
