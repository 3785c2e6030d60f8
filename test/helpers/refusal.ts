/** Assertions on refusals: the {@link TvmError} an action throws. */
import { expect } from 'vitest';
import { TvmError } from '../../shared/errors';

/** The TvmError `act` throws; fails the test when it throws something else or nothing. */
export function refusal(act: () => unknown): TvmError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(TvmError);
    return error as TvmError;
  }
  throw new Error('expected a TvmError, but nothing was thrown');
}

/** The TvmError `promise` rejects with; fails the test when it resolves or rejects with something else. */
export async function asyncRefusal(promise: Promise<unknown>): Promise<TvmError> {
  const error = await promise.then(() => undefined, (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(TvmError);
  return error as TvmError;
}
