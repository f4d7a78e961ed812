/** The "done when": the official client drives a temporary project end to end. */
import { startTestServer, type TestServer } from '../helpers/app';
import { loadClient, run } from '../helpers/deployr-client';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ DEPLOYR_R_POOL_MIN: '1' });
  await server.app.services.users.create({ username: 'george', password: 's3cret' });
}, 120_000);
afterAll(() => server.close(), 60_000);

it('creates a project, executes code with inputs and robjects, reads and pushes workspace objects, downloads a plot, closes', async () => {
  const deployr = loadClient(server.origin);
  await run(deployr.io('/r/user/login').data({ username: 'george', password: 's3cret' }));

  const created = await run(deployr.io('/r/project/create'));
  // The client finds the first property of that name: the project object, holding its id.
  const project = String((created.get('project') as { project: string }).project);
  expect(project).toMatch(/^PROJECT-/);

  const exec = await run(
    deployr
      .io('/r/project/execute/code')
      .data({ project, code: 'y <- x * 2\nlabel <- toupper(s)\nplot(1:y)' })
      .numeric('x', 21.5)
      .character('s', 'abc')
      .routput('y')
      .routput('label'),
  );
  expect(exec.deployr.response.success).toBe(true);
  const objects = (exec.get('objects') as { name: string; value: unknown }[]).map((o) => [o.name, o.value]);
  expect(objects).toEqual([['y', 43], ['label', 'ABC']]);
  const results = exec.get('results') as { execution: string; filename: string; type: string }[];
  expect(results[0]).toMatchObject({ filename: 'unnamedplot001.png', type: 'image/png' });

  await run(deployr.io('/r/project/workspace/push').data({ project }).logical('flag', true).numeric('n', 7));
  const got = await run(deployr.io('/r/project/workspace/get').data({ project, name: 'flag,n' }));
  expect((got.get('objects') as { value: unknown }[]).map((o) => o.value)).toEqual([true, 7]);

  const download = (await run(
    deployr.io('/r/project/execute/result/download').data({ project, execution: results[0].execution, filename: results[0].filename }),
  )) as unknown as { status: number; headers: Record<string, string>; body: Buffer };
  expect(download.status).toBe(200);
  expect(download.headers['content-type']).toBe('image/png');
  expect(Buffer.from(download.body).subarray(1, 4).toString()).toBe('PNG');

  const closed = await run(deployr.io('/r/project/close').data({ project }));
  expect(closed.get('live')).toBe(false);
  await run(deployr.io('/r/user/logout'));
}, 60_000);
