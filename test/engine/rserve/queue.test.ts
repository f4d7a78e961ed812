import { RESP_OK } from '../../../server/engine/rserve/constants';
import { RError } from '../../../server/engine/rserve/errors';
import type { PacketMessage } from '../../../server/engine/rserve/messages';
import { RequestQueue, type StepHandler } from '../../../server/engine/rserve/queue';

const answer = (tag: string): PacketMessage => ({ kind: 'packet', cmd: RESP_OK, msgId: 0, body: Buffer.from(tag) });
const echo: StepHandler<string> = (p) => ({ done: p.body.toString() });

function setup(): { q: RequestQueue; written: string[] } {
  const written: string[] = [];
  const q = new RequestQueue((b) => written.push(b.toString()));
  return { q, written };
}

describe('RequestQueue', () => {
  test('writes one request at a time and answers in order', async () => {
    const { q, written } = setup();
    const a = q.push(Buffer.from('A'), echo);
    const b = q.push(Buffer.from('B'), echo);
    expect(written).toEqual(['A']);
    expect(q.busy).toBe(true);
    q.receive(answer('a'));
    expect(written).toEqual(['A', 'B']);
    q.receive(answer('b'));
    await expect(Promise.all([a, b])).resolves.toEqual(['a', 'b']);
    expect(q.busy).toBe(false);
  });

  test('a multi-step request runs its steps back to back', async () => {
    const { q, written } = setup();
    const twoStep: StepHandler<string> = (p) => ({ next: Buffer.from('A2'), then: (p2) => ({ done: `${p.body}+${p2.body}` }) });
    const a = q.push(Buffer.from('A1'), twoStep);
    const b = q.push(Buffer.from('B'), echo);
    q.receive(answer('x'));
    expect(written).toEqual(['A1', 'A2']);
    q.receive(answer('y'));
    q.receive(answer('z'));
    await expect(a).resolves.toBe('x+y');
    await expect(b).resolves.toBe('z');
  });

  test('a handler that throws rejects only its own caller', async () => {
    const { q } = setup();
    const a = q.push(Buffer.from('A'), () => {
      throw new RError('R_ERROR', 'boom');
    });
    const b = q.push(Buffer.from('B'), echo);
    q.receive(answer('a'));
    q.receive(answer('b'));
    await expect(a).rejects.toMatchObject({ code: 'R_ERROR', message: 'boom' });
    await expect(b).resolves.toBe('b');
  });

  test('failAll rejects the request on the wire, the waiting ones and later ones', async () => {
    const { q } = setup();
    const a = q.push(Buffer.from('A'), echo);
    const b = q.push(Buffer.from('B'), echo);
    q.failAll(new RError('R_SESSION_DEAD', 'gone'));
    await expect(a).rejects.toMatchObject({ code: 'R_SESSION_DEAD' });
    await expect(b).rejects.toMatchObject({ code: 'R_SESSION_DEAD' });
    await expect(q.push(Buffer.from('C'), echo)).rejects.toMatchObject({ code: 'R_SESSION_DEAD' });
  });

  test('timeout of the request on the wire: the caller is released, the late answer is dropped', async () => {
    const { q, written } = setup();
    const a = q.push(Buffer.from('A'), echo, { timeout: 20 });
    const b = q.push(Buffer.from('B'), echo);
    await expect(a).rejects.toMatchObject({ code: 'R_TIMEOUT' });
    expect(written).toEqual(['A']);
    q.receive(answer('late'));
    q.receive(answer('b'));
    await expect(b).resolves.toBe('b');
  });

  test('timeout of a waiting request removes it before it is sent', async () => {
    const { q, written } = setup();
    const a = q.push(Buffer.from('A'), echo);
    const b = q.push(Buffer.from('B'), echo, { timeout: 10 });
    await expect(b).rejects.toMatchObject({ code: 'R_TIMEOUT' });
    q.receive(answer('a'));
    await expect(a).resolves.toBe('a');
    expect(written).toEqual(['A']);
  });

  test('priority requests go before waiting ones, after the one on the wire', async () => {
    const { q, written } = setup();
    const a = q.push(Buffer.from('A'), echo);
    const b = q.push(Buffer.from('B'), echo);
    const p = q.push(Buffer.from('P'), echo, { priority: true });
    q.receive(answer('a'));
    q.receive(answer('p'));
    q.receive(answer('b'));
    await Promise.all([a, b, p]);
    expect(written).toEqual(['A', 'P', 'B']);
  });

  test('an unexpected answer is reported', () => {
    const { q } = setup();
    expect(q.receive(answer('x'))).toBe(false);
  });
});
