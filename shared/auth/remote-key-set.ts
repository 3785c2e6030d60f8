/**
 * An identity provider's JSON Web Key Set, fetched over node:https and verified with jose's local
 * key set. jose's own remote key set is not used: it touches Node's fetch implementation as soon as
 * it is created, which costs every cold start tens of milliseconds (README, Performance). The
 * behaviour is jose's: fetched on first use, kept for `maxAgeMs`, fetched again for a token whose
 * key is not in it (at most once per `cooldownMs`), concurrent fetches shared.
 */
import { type JWTVerifyGetKey, createLocalJWKSet, errors } from 'jose';
import { getJson } from '../http/outbound';

/** The key set could not be had: no response, not HTTP 200, or not a key set. */
export class KeySetUnavailable extends Error {
  override readonly name = 'KeySetUnavailable';
}

/** Timing of {@link createRemoteKeySet}. */
export interface RemoteKeySetOptions {
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly maxAgeMs: number;
}

const MAX_KEY_SET_BYTES = 256 * 1024;

/** A jose key resolver backed by the key set at `url`. */
export function createRemoteKeySet(url: URL, options: RemoteKeySetOptions): JWTVerifyGetKey {
  let keys: JWTVerifyGetKey | undefined;
  let fetchedAt = 0;
  let pending: Promise<JWTVerifyGetKey> | undefined;
  const reload = (): Promise<JWTVerifyGetKey> => {
    pending ??= fetchKeySet(url, options.timeoutMs)
      .then((loaded) => {
        keys = loaded;
        fetchedAt = Date.now();
        return loaded;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  return async (header, token) => {
    const current = keys === undefined || Date.now() - fetchedAt > options.maxAgeMs ? await reload() : keys;
    try {
      return await current(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - fetchedAt < options.cooldownMs) throw error;
      return (await reload())(header, token);
    }
  };
}

async function fetchKeySet(url: URL, timeoutMs: number): Promise<JWTVerifyGetKey> {
  let answer;
  try {
    answer = await getJson(url.href, timeoutMs, MAX_KEY_SET_BYTES);
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') throw new errors.JWKSTimeout();
    throw new KeySetUnavailable('The JSON Web Key Set request failed', { cause: error });
  }
  if (answer.status !== 200) throw new KeySetUnavailable(`The JSON Web Key Set answered HTTP ${answer.status}`);
  try {
    return createLocalJWKSet(JSON.parse(answer.body));
  } catch (error) {
    throw new KeySetUnavailable('The JSON Web Key Set is not a key set', { cause: error });
  }
}
