/** The one error type: what a refusal carries, and what it does not. */
import { describe, expect, it } from 'vitest';
import { TvmError, toTvmError } from '../../shared/errors';

describe('TvmError', () => {
  it('carries status, code and message, and no stack frames: none is captured, so none can leak', () => {
    const error = new TvmError(403, 'KeyNotAllowed', 'The key is outside your prefix.', { headers: { 'Retry-After': '1' } });
    expect(error).toMatchObject({ status: 403, code: 'KeyNotAllowed', message: 'The key is outside your prefix.', headers: { 'Retry-After': '1' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.stack ?? '').not.toMatch(/\n\s+at /);
  });

  it('leaves other errors their stacks', () => {
    const limit = Error.stackTraceLimit;
    new TvmError(400, 'MalformedRequest', 'x');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('y').stack).toMatch(/\n\s+at /);
  });

  it('keeps an unexpected failure, with its stack, as the cause of a generic 500 (for logs only)', () => {
    const failure = new RangeError('boom');
    const error = toTvmError(failure);
    expect(error).toMatchObject({ status: 500, code: 'InternalError', message: 'The request failed unexpectedly. Try again later.' });
    expect(error.cause).toBe(failure);
    expect(failure.stack).toMatch(/\n\s+at /);
  });
});
