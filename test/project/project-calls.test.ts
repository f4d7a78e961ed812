import request from 'supertest';
import { loginAgent, responseOf, startTestServer, type TestServer } from '../helpers/app';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ DEPLOYR_R_POOL_MIN: '1' });
  await server.app.services.users.create({ username: 'george', password: 'pw', displayname: 'George Best' });
  await server.app.services.users.create({ username: 'other', password: 'pw' });
  await server.app.services.users.create({ username: 'basic', password: 'pw', roles: ['BASIC_USER'] });
}, 120_000);
afterAll(() => server.close(), 60_000);

async function signIn(username = 'george') {
  const { agent, token } = await loginAgent(server, username, 'pw');
  const post = (call: string, body: Record<string, string> = {}) => agent.post(`/deployr/r/project/${call}`).set('X-XSRF-TOKEN', token).type('form').send(body);
  return { agent, token, post };
}

async function newProject(post: Awaited<ReturnType<typeof signIn>>['post'], body: Record<string, string> = {}): Promise<string> {
  const r = responseOf(await post('create', body));
  expect(r.success).toBe(true);
  return (r.project as { project: string }).project;
}

describe('/r/project/create, list, close', () => {
  it('creates a live temporary project with inputs and csvinputs in its workspace', async () => {
    const { post } = await signIn();
    const res = await post('create', {
      inputs: JSON.stringify({ x: { type: 'primitive', value: 5 }, v: { type: 'vector', value: [1, 2, 3] } }),
      csvinputs: 'n,10,flag,TRUE,s,hello',
    });
    const r = responseOf(res);
    expect(r).toMatchObject({ call: '/r/project/create', success: true });
    const project = r.project as Record<string, unknown>;
    expect(project).toMatchObject({ name: null, descr: null, longdescr: null, live: true, shared: false, cookie: null, origin: 'Project original.', author: 'george', authors: ['george'] });
    expect(String(project.project)).toMatch(/^PROJECT-[0-9a-f-]{36}$/);
    expect(typeof project.lastmodified).toBe('number');

    const got = responseOf(await post('workspace/get', { project: String(project.project), name: 'x,v,n,flag,s' }));
    const objects = (got.workspace as { objects: { name: string; type: string; rclass: string; value: unknown }[] }).objects;
    expect(objects.map((o) => [o.name, o.type, o.rclass, o.value])).toEqual([
      ['x', 'primitive', 'integer', 5],
      ['v', 'vector', 'integer', [1, 2, 3]],
      ['n', 'primitive', 'integer', 10],
      ['flag', 'primitive', 'logical', true],
      ['s', 'primitive', 'character', 'hello'],
    ]);
  });

  it('refuses malformed inputs with a 400 and creates nothing', async () => {
    const { post, agent } = await signIn();
    const before = (responseOf(await agent.get('/deployr/r/project/list')).projects as unknown[]).length;
    const res = await post('create', { inputs: '{"x": {"type": "vector", "value": "not a vector"' });
    expect(res.status).toBe(400);
    expect(responseOf(res).success).toBe(false);
    const bad = await post('create', { inputs: JSON.stringify({ d: { type: 'date', value: 'yesterday', format: 'yyyy-MM-dd' } }) });
    expect(bad.status).toBe(400);
    expect(responseOf(bad).error).toContain('d');
    expect((responseOf(await agent.get('/deployr/r/project/list')).projects as unknown[]).length).toBe(before);
  });

  it('lists the caller\'s projects and closes them', async () => {
    const { post, agent } = await signIn();
    const id = await newProject(post);
    const list = responseOf(await agent.get('/deployr/r/project/list'));
    expect((list.projects as { project: string; live: boolean }[]).find((p) => p.project === id)).toMatchObject({ live: true });
    const closed = responseOf(await post('close', { project: id }));
    expect(closed).toMatchObject({ success: true, project: { project: id, live: false } });
    const after = responseOf(await agent.get('/deployr/r/project/list'));
    expect((after.projects as { project: string }[]).map((p) => p.project)).not.toContain(id);
    const again = responseOf(await post('execute/code', { project: id, code: '1' }));
    expect(again).toMatchObject({ success: false, errorCode: 900 });
  });

  it('keeps other users out of a project', async () => {
    const mine = await signIn();
    const id = await newProject(mine.post);
    const theirs = await signIn('other');
    for (const [call, body] of [
      ['execute/code', { project: id, code: 'x <- 1' }],
      ['workspace/get', { project: id, name: 'x' }],
      ['close', { project: id }],
    ] as const) {
      expect(responseOf(await theirs.post(call, body))).toMatchObject({ success: false, errorCode: 900 });
    }
    expect((responseOf(await theirs.agent.get('/deployr/r/project/list')).projects as { project: string }[]).map((p) => p.project)).not.toContain(id);
  });

  it('needs a login (401) and the CSRF token (403)', async () => {
    expect((await request(server.app.app).post('/deployr/r/project/create')).status).toBe(401);
    const { agent } = await signIn();
    expect((await agent.post('/deployr/r/project/create')).status).toBe(403);
  });
});

describe('/r/project/execute/code', () => {
  it('runs code and answers with project, execution and workspace objects as the reference shows', async () => {
    const { post, agent } = await signIn();
    const id = await newProject(post);
    const res = await post('execute/code', {
      project: id,
      code: 'y <- x * 2\nplot(1:10)\nwriteLines("hi", "out.txt")\nprint(y)',
      inputs: JSON.stringify({ x: { type: 'primitive', value: 21.5 } }),
      robjects: 'y,missing_object',
      tag: 'first',
    });
    const r = responseOf(res);
    expect(r).toMatchObject({ call: '/r/project/execute/code', success: true, interrupted: false, project: { project: id, live: true } });
    const execution = r.execution as Record<string, unknown>;
    expect(Object.keys(execution)).toEqual([
      'code', 'execution', 'tag', 'timeStart', 'timeCode', 'timeTotal', 'actor', 'console', 'resultsAvailable', 'resultsGenerated',
      'results', 'artifacts', 'warnings', 'info', 'help', 'interrupted',
    ]);
    expect(execution).toMatchObject({ tag: 'first', actor: 'george', resultsAvailable: 1, resultsGenerated: 1, warnings: [], info: [], help: null, interrupted: false });
    expect(String(execution.execution)).toMatch(/^EXEC-/);
    expect(execution.console).toContain('> y <- x * 2');
    expect(execution.console).toContain('[1] 43');
    const [result] = execution.results as { filename: string; type: string; url: string; length: number; sha256: string; execution: string }[];
    expect(result).toMatchObject({ filename: 'unnamedplot001.png', type: 'image/png', execution: execution.execution });
    expect(result.sha256).toMatch(/^[0-9a-f]{64}$/);
    const [artifact] = execution.artifacts as Record<string, unknown>[];
    expect(artifact).toMatchObject({ filename: 'out.txt', descr: null, length: 3, project: id, category: 'text' });
    expect((r.workspace as { objects: unknown[] }).objects).toEqual([{ name: 'y', type: 'primitive', rclass: 'numeric', value: 43 }]);
    expect(res.text).toContain('"value":43.0');
    expect(r.repository).toEqual({ files: [] });

    // The result URL works with the session cookie.
    const url = new URL(result.url);
    const png = await agent.get(url.pathname).buffer(true).parse((resp, cb) => {
      const chunks: Buffer[] = [];
      resp.on('data', (c: Buffer) => chunks.push(c));
      resp.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(png.status).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect((png.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    expect((png.body as Buffer).length).toBe(result.length);
    // ... and not for someone else.
    const other = await signIn('other');
    expect(responseOf(await other.agent.get(url.pathname)).success).toBe(false);
  });

  it('answers in XML with format=xml', async () => {
    const { post } = await signIn();
    const id = await newProject(post);
    const res = await post('execute/code', { project: id, code: 'v <- c(1.5, 2)\nplot(v)', robjects: 'v', format: 'xml' });
    expect(res.headers['content-type']).toMatch(/^application\/xml/);
    expect(res.text).toContain(`<project><project>${id}</project>`);
    expect(res.text).toMatch(/<results><result><execution>EXEC-[^<]+<\/execution><filename>unnamedplot001\.png<\/filename>/);
    expect(res.text).toContain('<objects><object><name>v</name><type>vector</type><rclass>numeric</rclass><values><value>1.5</value><value>2.0</value></values></object></objects>');
    expect(res.text).toContain('<authors><author>george</author></authors>');
  });

  it('honours echooff, consoleoff, artifactsoff, svg graphics and the plot size', async () => {
    const { post } = await signIn();
    const id = await newProject(post);
    let r = responseOf(await post('execute/code', { project: id, code: 'print(1+1)', echooff: 'true' }));
    expect((r.execution as { console: string }).console).not.toContain('> print');
    expect((r.execution as { console: string }).console).toContain('[1] 2');
    r = responseOf(await post('execute/code', { project: id, code: 'print(1+1)', consoleoff: 'true' }));
    expect((r.execution as { console: string | null }).console).toBeNull();
    r = responseOf(await post('execute/code', { project: id, code: 'writeLines("a", "f.txt")', artifactsoff: 'true' }));
    expect((r.execution as { artifacts: unknown[] }).artifacts).toEqual([]);
    r = responseOf(await post('execute/code', { project: id, code: 'plot(1)', graphics: 'svg', graphicswidth: '300', graphicsheight: '200' }));
    expect((r.execution as { results: { filename: string; type: string }[] }).results[0]).toMatchObject({ filename: 'unnamedplot001.svg', type: 'image/svg+xml' });
    const bad = await post('execute/code', { project: id, code: '1', graphics: 'gif' });
    expect(bad.status).toBe(400);
  });

  it('reports an R error as success:false with the R message and the console', async () => {
    const { post } = await signIn();
    const id = await newProject(post);
    const r = responseOf(await post('execute/code', { project: id, code: 'a <- 1\nstop("boom")\nb <- 2' }));
    expect(r).toMatchObject({ success: false, errorCode: 900 });
    expect(r.error).toContain('boom');
    expect((r.execution as { console: string }).console).toContain('Error: boom');
    const parse = responseOf(await post('execute/code', { project: id, code: 'x <- (1 +' }));
    expect(parse).toMatchObject({ success: false, errorCode: 900 });
    // The session survives: a was assigned, b was not.
    const got = responseOf(await post('workspace/get', { project: id, name: 'a,b' }));
    expect((got.workspace as { objects: { name: string }[] }).objects.map((o) => o.name)).toEqual(['a']);
  });

  it('reports warnings', async () => {
    const { post } = await signIn();
    const id = await newProject(post);
    const r = responseOf(await post('execute/code', { project: id, code: 'as.integer("x")' }));
    expect(r.success).toBe(true);
    expect((r.execution as { warnings: string[] }).warnings.join()).toContain('NAs introduced by coercion');
  });

  it('needs POWER_USER', async () => {
    const basic = await signIn('basic');
    const id = await newProject(basic.post);
    const res = await basic.post('execute/code', { project: id, code: '1' });
    expect(res.status).toBe(401);
  });
});

describe('concurrent projects', () => {
  it('keep their plots apart (R sessions share the Rserve parent\'s tempdir)', async () => {
    const { post } = await signIn();
    const ids = await Promise.all([newProject(post), newProject(post), newProject(post)]);
    const runs = await Promise.all(
      ids.map((id, k) => post('execute/code', { project: id, code: `for (i in 1:${k + 2}) { plot(i); Sys.sleep(0.2) }` }).then((res) => responseOf(res))),
    );
    runs.forEach((r, k) => {
      expect(r.success).toBe(true);
      const results = (r.execution as { results: { filename: string }[] }).results;
      expect(results.map((x) => x.filename)).toEqual(Array.from({ length: k + 2 }, (_, i) => `unnamedplot00${i + 1}.png`));
    });
  }, 60_000);
});

describe('/r/project/execute/interrupt', () => {
  it('interrupts a running execution from a second connection; a concurrent execute gets 409', async () => {
    const { post } = await signIn();
    const id = await newProject(post);
    await post('workspace/push', { csvinputs: 'keep,42', project: id });
    // supertest sends on then(): start it now.
    const running = post('execute/code', { project: id, code: 'Sys.sleep(30)' }).then((res) => res);
    await new Promise((r) => setTimeout(r, 700));
    const busy = await post('execute/code', { project: id, code: '1' });
    expect(busy.status).toBe(409);
    const interrupted = responseOf(await post('execute/interrupt', { project: id }));
    expect(interrupted).toMatchObject({ success: true, project: { project: id } });
    const r = responseOf(await running);
    expect(r.interrupted).toBe(true);
    expect((r.execution as { interrupted: boolean }).interrupted).toBe(true);
    const got = responseOf(await post('workspace/get', { project: id, name: 'keep' }));
    expect((got.workspace as { objects: { value: unknown }[] }).objects[0].value).toBe(42);
  }, 60_000);
});

describe('a dead R session', () => {
  it('is reported as errorCode 916, never a hang, and the project stops being live', async () => {
    const { post, agent } = await signIn();
    const id = await newProject(post);
    const r = responseOf(await post('execute/code', { project: id, code: 'pid <- Sys.getpid()', robjects: 'pid' }));
    const pid = (r.workspace as { objects: { value: number }[] }).objects[0].value;
    const running = post('execute/code', { project: id, code: 'Sys.sleep(30)' }).then((res) => res);
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(pid, 'SIGKILL');
    const dead = responseOf(await running);
    expect(dead).toMatchObject({ success: false, errorCode: 916 });
    const list = responseOf(await agent.get('/deployr/r/project/list'));
    expect((list.projects as { project: string }[]).map((p) => p.project)).not.toContain(id);
    // The server is fine: a new project works.
    const next = await newProject(post);
    expect(responseOf(await post('execute/code', { project: next, code: '1 + 1' })).success).toBe(true);
  }, 60_000);
});

describe('/r/project/workspace/push and get', () => {
  it('pushes values that read back equal', async () => {
    const { post } = await signIn();
    const id = await newProject(post);
    const inputs = {
      m: { type: 'matrix', value: [[1, 3, 12], [2, 11, 13]] },
      f: { type: 'factor', value: ['a', 'b', 'a'], labels: ['a', 'b'], ordered: false },
      d: { type: 'date', value: '2011-10-04', format: 'yyyy-MM-dd' },
      l: { type: 'list', value: [{ name: 'first', type: 'primitive', value: 'x' }, { name: 'second', type: 'vector', value: [true, false] }] },
    };
    const pushed = responseOf(await post('workspace/push', { project: id, inputs: JSON.stringify(inputs) }));
    expect(pushed).toMatchObject({ success: true, project: { project: id } });
    const got = responseOf(await post('workspace/get', { project: id, name: 'm,f,d,l' }));
    const byName = Object.fromEntries((got.workspace as { objects: { name: string }[] }).objects.map((o) => [o.name, o]));
    expect(byName.m).toMatchObject({ type: 'matrix', value: [[1, 3, 12], [2, 11, 13]] });
    expect(byName.f).toMatchObject({ type: 'factor', rclass: 'factor', value: ['a', 'b', 'a'], labels: ['a', 'b'] });
    expect(byName.d).toMatchObject({ type: 'date', value: '2011-10-04', format: 'yyyy-MM-dd' });
    expect(byName.l).toMatchObject({ type: 'list', value: [{ name: 'first', value: 'x' }, { name: 'second', value: [true, false] }] });
    expect((await post('workspace/push', { project: id })).status).toBe(400);
  });

  it('encodes NaN and Infinity with the nan and infinity options', async () => {
    const { post } = await signIn();
    const id = await newProject(post);
    await post('execute/code', { project: id, code: 'z <- c(1, NaN, Inf, NA)' });
    let got = responseOf(await post('workspace/get', { project: id, name: 'z' }));
    expect((got.workspace as { objects: { value: unknown[] }[] }).objects[0].value).toEqual([1, null, '0x7ff0000000000000L', null]);
    got = responseOf(await post('workspace/get', { project: id, name: 'z', nan: 'NaN', infinity: 'Inf' }));
    expect((got.workspace as { objects: { value: unknown[] }[] }).objects[0].value).toEqual([1, 'NaN', 'Inf', null]);
  });
});

describe('releasing temporary projects', () => {
  it('closes them at logout', async () => {
    const { post, agent, token } = await signIn();
    const id = await newProject(post);
    expect(responseOf(await agent.post('/deployr/r/user/logout').set('X-XSRF-TOKEN', token)).success).toBe(true);
    expect(await server.database.db('projects').where({ id }).first()).toBeUndefined();
  });

  it('closes them on /r/user/release', async () => {
    const { post, agent, token } = await signIn('other');
    const id = await newProject(post);
    await agent.post('/deployr/r/user/release').set('X-XSRF-TOKEN', token);
    expect(await server.database.db('projects').where({ id }).first()).toBeUndefined();
  });

  it('closes them when their HTTP session expires', async () => {
    const { post } = await signIn();
    const id = await newProject(post);
    const row = await server.database.db('projects').where({ id }).first();
    await server.database.db('http_sessions').where({ sid: row.http_session }).update({ expire: new Date(Date.now() - 1000) });
    expect(await server.app.services.projects.sweep()).toBeGreaterThanOrEqual(1);
    expect(await server.database.db('projects').where({ id }).first()).toBeUndefined();
  });

  it('reclaims a live project idle longer than maxIdleLiveProjectTimeout', async () => {
    const idle = await startTestServer({ DEPLOYR_R_POOL_MIN: '0', DEPLOYR_MAX_IDLE_LIVE_PROJECT_TIMEOUT: '1' });
    try {
      await idle.app.services.users.create({ username: 'george', password: 'pw' });
      const { agent, token } = await loginAgent(idle, 'george', 'pw');
      const created = responseOf(await agent.post('/deployr/r/project/create').set('X-XSRF-TOKEN', token));
      const id = (created.project as { project: string }).project;
      expect(await idle.app.services.projects.sweep()).toBe(0);
      await new Promise((r) => setTimeout(r, 1200));
      expect(await idle.app.services.projects.sweep()).toBe(1);
      expect(await idle.database.db('projects').where({ id }).first()).toBeUndefined();
    } finally {
      await idle.close();
    }
  }, 60_000);

});

describe('grid limits', () => {
  it('answers 910 past maxConcurrentLiveProjectCount and 913 when the R pool is exhausted', async () => {
    const limited = await startTestServer({ DEPLOYR_R_POOL_MIN: '0', DEPLOYR_R_POOL_MAX: '2', DEPLOYR_MAX_CONCURRENT_LIVE_PROJECT_COUNT: '1' });
    try {
      await limited.app.services.users.create({ username: 'a', password: 'pw' });
      await limited.app.services.users.create({ username: 'b', password: 'pw' });
      await limited.app.services.users.create({ username: 'c', password: 'pw' });
      const create = async (username: string) => {
        const { agent, token } = await loginAgent(limited, username, 'pw');
        return responseOf(await agent.post('/deployr/r/project/create').set('X-XSRF-TOKEN', token));
      };
      const first = await loginAgent(limited, 'a', 'pw');
      expect(responseOf(await first.agent.post('/deployr/r/project/create').set('X-XSRF-TOKEN', first.token)).success).toBe(true);
      expect(responseOf(await first.agent.post('/deployr/r/project/create').set('X-XSRF-TOKEN', first.token))).toMatchObject({ success: false, errorCode: 910 });
      expect((await create('b')).success).toBe(true);
      expect(await create('c')).toMatchObject({ success: false, errorCode: 913 });
    } finally {
      await limited.close();
    }
  }, 60_000);
});
