/** An admin batch script as people write them: curl, a cookie jar, the token from the login header. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, type TestServer } from '../helpers/app';

const exec = promisify(execFile);
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  await server.app.services.users.create({ username: 'ops', password: 'ops-pw', roles: ['ADMINISTRATOR'] });
});
afterAll(() => server.close());

const SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
BASE="$1"; JAR="$2"
# Sign in: keep the cookie, read the CSRF token from the response header.
TOKEN=$(curl -s -c "$JAR" -D - -o /dev/null --data-urlencode username=ops --data-urlencode password=ops-pw "$BASE/r/user/login" \\
  | tr -d '\\r' | awk -F': ' 'tolower($1)=="x-xsrf-token" {print $2}')
[ -n "$TOKEN" ] || { echo "no token" >&2; exit 1; }
curl -s -b "$JAR" "$BASE/r/user/about?format=json"; echo
curl -s -b "$JAR" -H "X-XSRF-TOKEN: $TOKEN" -X POST "$BASE/r/user/release" -d format=xml; echo
curl -s -b "$JAR" -X POST "$BASE/r/user/logout" -o /dev/null -w '%{http_code}\\n'
curl -s -b "$JAR" -H "X-XSRF-TOKEN: $TOKEN" -X POST "$BASE/r/user/logout" -d usercookie=batch-done; echo
curl -s -b "$JAR" "$BASE/r/user/about" -o /dev/null -w '%{http_code}\\n'
`;

it('runs a curl batch script with a cookie jar', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'curl-batch-'));
  const script = path.join(dir, 'batch.sh');
  fs.writeFileSync(script, SCRIPT, { mode: 0o755 });
  const { stdout } = await exec('bash', [script, server.url, path.join(dir, 'jar')]);
  const lines = stdout.trim().split('\n');
  expect(JSON.parse(lines[0]).deployr.response).toMatchObject({ call: '/r/user/about', success: true, user: { username: 'ops' } });
  expect(lines[1]).toMatch(/<response><call>\/r\/user\/release<\/call><success>true<\/success><whoami>ops<\/whoami>/);
  expect(lines[2]).toBe('403');
  expect(JSON.parse(lines[3]).deployr.response).toMatchObject({ call: '/r/user/logout', success: true });
  expect(lines[4]).toBe('401');
  fs.rmSync(dir, { recursive: true, force: true });
});
