/** Verified tokens are remembered until they expire, and nothing else is. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthenticator } from '../../shared/auth/authenticate';
import { loadConfig } from '../../shared/config/load-config';
import { signToken, testEnvironment } from '../helpers/jwt';
import { asyncRefusal } from '../helpers/refusal';

const authenticator = () => createAuthenticator(loadConfig(testEnvironment()).jwt);

afterEach(() => {
  vi.useRealTimers();
});

describe('createAuthenticator, for a token it has verified before', () => {
  it('accepts it again while it is valid, and refuses it as expired once it is not, beyond the clock tolerance', async () => {
    // Prepare: a token valid for 60 s, verified once.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const authenticate = authenticator();
    const token = await signToken({ expiresIn: 60 });
    expect((await authenticate(`Bearer ${token}`)).identity).toBe('alice');
    // Act and assess: still within exp + 30 s of tolerance, then past it.
    vi.setSystemTime(Date.now() + 85_000);
    expect((await authenticate(`Bearer ${token}`)).identity).toBe('alice');
    vi.setSystemTime(Date.now() + 10_000);
    const refused = await asyncRefusal(authenticate(`Bearer ${token}`));
    expect([refused.status, refused.code, refused.message]).toEqual([401, 'InvalidToken', 'The token has expired.']);
  });

  it('never remembers a refusal: a token refused for its identity is refused each time', async () => {
    const authenticate = authenticator();
    const token = await signToken({ claims: { sub: '../bob' } });
    for (let attempt = 0; attempt < 2; attempt++) expect((await asyncRefusal(authenticate(`Bearer ${token}`))).code).toBe('InvalidIdentity');
  });

  it('tells tokens apart by their every byte: a token with a changed signature is not taken for the remembered one', async () => {
    const authenticate = authenticator();
    const token = await signToken();
    await authenticate(`Bearer ${token}`);
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await asyncRefusal(authenticate(`Bearer ${tampered}`))).code).toBe('InvalidToken');
  });
});
