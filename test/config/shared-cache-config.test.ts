/**
 * TVM_SHARED_CACHE_URL and TVM_SHARED_CACHE_KEY: both or neither; a bad one refuses the cold start
 * with a message that names the setting and never repeats its value (the URL may hold a password).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load-config';
import type { TvmError } from '../../shared/errors';
import { testEnvironment } from '../helpers/jwt';
import { refusal } from '../helpers/refusal';

const KEY = Buffer.alloc(32, 9).toString('base64');
const PASSWORD = 'hunter2-redis-password';

/** The refusal loadConfig throws for the test environment with `settings`. */
function configurationRefusal(settings: Record<string, string | undefined>): TvmError {
  const refused = refusal(() => loadConfig(testEnvironment(settings)));
  expect([refused.status, refused.code]).toEqual([500, 'InvalidConfiguration']);
  return refused;
}

describe('the shared credential cache settings', () => {
  it('absent: no shared cache, and the configuration has no trace of one', () => {
    expect('sharedCache' in loadConfig(testEnvironment())).toBe(false);
  });

  it('a rediss:// URL with a password and a 32-byte key: the URL as given, the key as bytes', () => {
    const url = `rediss://:${PASSWORD}@r-bp1example.redis.rds.aliyuncs.com:6380/2`;
    const config = loadConfig(testEnvironment({ TVM_SHARED_CACHE_URL: url, TVM_SHARED_CACHE_KEY: KEY }));
    expect(config.sharedCache?.url).toBe(url);
    expect(Buffer.from(config.sharedCache?.key ?? []).toString('base64')).toBe(KEY);
  });

  it.each([
    ['no key', { TVM_SHARED_CACHE_URL: `redis://:${PASSWORD}@10.0.0.5:6379` }, 'TVM_SHARED_CACHE_KEY is not set'],
    ['a short key', { TVM_SHARED_CACHE_URL: `redis://:${PASSWORD}@10.0.0.5:6379`, TVM_SHARED_CACHE_KEY: Buffer.alloc(16, 9).toString('base64') }, 'TVM_SHARED_CACHE_KEY is invalid'],
    ['a key that is not base64', { TVM_SHARED_CACHE_URL: `redis://:${PASSWORD}@10.0.0.5:6379`, TVM_SHARED_CACHE_KEY: `${'k'.repeat(42)}!` }, 'TVM_SHARED_CACHE_KEY is invalid'],
    ['a base64 key whose last character has bits past 32 bytes', { TVM_SHARED_CACHE_URL: `redis://:${PASSWORD}@10.0.0.5:6379`, TVM_SHARED_CACHE_KEY: `${'k'.repeat(42)}l` }, 'TVM_SHARED_CACHE_KEY must be 32 random bytes'],
    ['an http:// URL', { TVM_SHARED_CACHE_URL: `http://:${PASSWORD}@10.0.0.5:6379`, TVM_SHARED_CACHE_KEY: KEY }, 'TVM_SHARED_CACHE_URL is invalid'],
    ['a URL without a host', { TVM_SHARED_CACHE_URL: `redis://:${PASSWORD}@`, TVM_SHARED_CACHE_KEY: KEY }, 'TVM_SHARED_CACHE_URL is invalid'],
    ['a URL with a query', { TVM_SHARED_CACHE_URL: `redis://:${PASSWORD}@10.0.0.5:6379/0?tls=${PASSWORD}`, TVM_SHARED_CACHE_KEY: KEY }, 'TVM_SHARED_CACHE_URL is invalid'],
    ['a key without a URL', { TVM_SHARED_CACHE_KEY: KEY }, 'TVM_SHARED_CACHE_KEY is set but TVM_SHARED_CACHE_URL is not'],
  ])('%s: refused, the setting named, no value repeated', (_, settings, expected) => {
    const { message } = configurationRefusal(settings);
    expect(message).toContain(expected);
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain('10.0.0.5');
    expect(message).not.toContain(KEY);
    expect(message).not.toContain('k'.repeat(42));
  });
});
