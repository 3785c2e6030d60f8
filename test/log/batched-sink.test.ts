/** The batched log sink of the web server: fewer writes, same lines, nothing lost at exit. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { batchedSink, createLogger } from '../../shared/log';

describe('batchedSink', () => {
  it('writes the lines of one turn of the event loop together, in order, once the turn is done', async () => {
    const writes: string[] = [];
    const sink = batchedSink((text) => writes.push(text));

    sink('{"a":1}');
    sink('{"b":2}');
    expect(writes).toEqual([]);
    await nextTurn();
    sink('{"c":3}');
    await nextTurn();

    expect(writes).toEqual(['{"a":1}\n{"b":2}\n', '{"c":3}\n']);
  });

  it('writes what is pending at once on flush, and never twice', async () => {
    const writes: string[] = [];
    const sink = batchedSink((text) => writes.push(text));

    sink('one');
    sink.flush();
    await nextTurn();
    sink.flush();

    expect(writes).toEqual(['one\n']);
  });

  it('carries a logger\'s request lines whole, one JSON document per line', async () => {
    const writes: string[] = [];
    const logger = createLogger(batchedSink((text) => writes.push(text)));

    logger.request({ requestId: 'r1', status: 200 });
    logger.request({ requestId: 'r2', status: 401, errorCode: 'InvalidToken' });
    await nextTurn();

    const lines = writes.join('').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toMatchObject([{ requestId: 'r1', status: 200 }, { requestId: 'r2', errorCode: 'InvalidToken' }]);
  });
});
