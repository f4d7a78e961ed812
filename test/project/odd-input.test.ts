/** Odd and hostile input to the project calls: always a clear envelope, never a hang or a 500. */
import { loginAgent, responseOf, startTestServer, type TestServer } from '../helpers/app';

let server: TestServer;
let post: (call: string, body: Record<string, string>) => Promise<{ status: number; body: unknown; text: string }>;
let project: string;

beforeAll(async () => {
  server = await startTestServer({ DEPLOYR_R_POOL_MIN: '1' });
  await server.app.services.users.create({ username: 'george', password: 'pw' });
  const { agent, token } = await loginAgent(server, 'george', 'pw');
  post = (call, body) => agent.post(`/deployr/r/project/${call}`).set('X-XSRF-TOKEN', token).type('form').send(body).then((r) => r);
  project = (responseOf(await post('create', {})).project as { project: string }).project;
}, 120_000);
afterAll(() => server.close(), 60_000);

const cases: [string, Record<string, string>][] = [
  ['robjects with NUL', { code: '1', robjects: 'a\u0000b' }],
  ['robjects with backticks and quotes (no such objects: left out)', { code: '1', robjects: '`x`,"y",\'z\'' }],
  ['inputs that are not an object', { code: '1', inputs: '[1,2,3]' }],
  ['inputs with an unknown type', { code: '1', inputs: '{"x":{"type":"teapot","value":1}}' }],
  ['inputs nested very deep', { code: '1', inputs: '{"x":' + '{"type":"list","value":['.repeat(2000) + ']}'.repeat(2000) + '}' }],
  ['inputs with a NUL in a string', { code: '1', inputs: '{"x":{"type":"primitive","value":"a\\u0000b"}}' }],
  ['csvinputs with an odd count', { code: '1', csvinputs: 'a,1,b' }],
  ['code with a NUL', { code: 'x <- "a\u0000b"' }],
  ['graphicswidth not a number', { code: '1', graphicswidth: 'wide' }],
  ['unknown project', { code: '1', project: 'PROJECT-nope' }],
];

it.each(cases)('%s', async (_name, body) => {
  const res = await post('execute/code', { project, ...body });
  expect([200, 400]).toContain(res.status);
  const r = responseOf(res);
  expect(r.error ?? '').not.toMatch(/General Server Error/);
  expect(res.text).not.toMatch(/at .+\.(ts|js):\d+/);
  // The project is still usable afterwards.
  expect(responseOf(await post('execute/code', { project, code: '1 + 1' })).success).toBe(true);
});

it('refuses strings R cannot hold with a 400', async () => {
  for (const [call, body] of [
    ['workspace/get', { project, name: 'a\u0000b' }],
    ['execute/code', { project, code: 'x <- "a\u0000b"' }],
    ['workspace/push', { project, inputs: '{"x":{"type":"primitive","value":"a\\u0000b"}}' }],
  ] as const) {
    const res = await post(call, body);
    expect(res.status).toBe(400);
    expect(responseOf(res).error).toMatch(/NUL|nul/);
  }
});

it('assigns none of the inputs when one of them is bad', async () => {
  const res = await post('workspace/push', { project, inputs: '{"good":{"type":"primitive","value":1},"bad":{"type":"primitive","value":"a\\u0000b"}}' });
  expect(res.status).toBe(400);
  const got = responseOf(await post('workspace/get', { project, name: 'good' }));
  expect((got.workspace as { objects: unknown[] }).objects).toEqual([]);
});
