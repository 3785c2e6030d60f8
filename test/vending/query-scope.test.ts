/**
 * A scope named more than once in the query is a malformed request, in both functions, in the shape
 * FC 3.0 really delivers it: one string with the values joined by commas.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignRequestHandler } from '../../functions/sign-request/create-handler';
import { createVendTokenHandler } from '../../functions/vend-token/create-handler';
import { type DemoIssuer, createDemoIssuer } from '../../local/demo-issuer';
import { StsEmulator } from '../../local/sts-emulator';
import { TvmError } from '../../shared/errors';
import type { FcHttpHandler } from '../../shared/http/fc-event';
import { createLogger } from '../../shared/log';
import { scopeFromQuery } from '../../shared/vending/query-scope';
import { bearer, httpEvent, jsonBody } from '../helpers/fc-events';
import { functionEnvironment } from '../helpers/function-environment';

/** Query values as FC builds them for a parameter given one to four times. */
const repeatedValues = fc.array(fc.oneof(fc.constantFrom('user', 'shared', ''), fc.string({ maxLength: 8 })), { minLength: 1, maxLength: 4 }).map((values) => values.join(','));

describe('scopeFromQuery', () => {
  it('reads one scope, and an absent or empty one as none', () => {
    expect(scopeFromQuery({ scope: 'shared' })).toBe('shared');
    expect(scopeFromQuery({})).toBeUndefined();
    expect(scopeFromQuery({ scope: '' })).toBeUndefined();
    expect(scopeFromQuery({ other: 'a,b' })).toBeUndefined();
  });

  it('refuses any value with a comma (a repeated parameter, as FC joins it) with 400 MalformedRequest, and returns any other as given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), repeatedValues), (value) => {
        // Oracle: FC joins repeated values with ","; no scope name holds one.
        const repeated = value.split(',').length > 1;
        try {
          const scope = scopeFromQuery({ scope: value });
          return !repeated && scope === (value === '' ? undefined : value);
        } catch (error) {
          return repeated && error instanceof TvmError && error.status === 400 && error.code === 'MalformedRequest';
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('both functions, given ?scope=user&scope=user as FC 3.0 passes it', () => {
  let sts: StsEmulator;
  let issuer: DemoIssuer;
  let token: string;
  const handlers: Record<string, FcHttpHandler> = {};

  beforeAll(async () => {
    sts = await StsEmulator.start();
    issuer = await createDemoIssuer('https://id.example.com/', 'oss-tvm-test');
    token = await issuer.issue('alice');
    const options = { logger: createLogger(() => {}) };
    handlers['vend-token'] = createVendTokenHandler(functionEnvironment(sts, issuer), options);
    handlers['sign-request'] = createSignRequestHandler(functionEnvironment(sts, issuer), options);
  });

  afterAll(async () => {
    await sts.close();
  });

  const content = () => `PUT\n\ntext/plain\n${new Date().toUTCString()}\n/photos/users/alice/a.txt`;
  const requests = {
    'vend-token': (query: Record<string, string>) => httpEvent({ headers: bearer(token), query }),
    'sign-request': (query: Record<string, string>) => httpEvent({ method: 'POST', headers: { ...bearer(token), 'Content-Type': 'text/plain' }, body: content(), query }),
  };

  it.each(Object.keys(requests))('%s answers 400 MalformedRequest, and 200 to the same scope given once', async (name) => {
    const handler = handlers[name] as FcHttpHandler;
    const request = requests[name as keyof typeof requests];
    const twice = await handler(request({ scope: 'user,user' }), { requestId: 'twice', credentials: sts.createFunctionCredentials() });
    expect(twice.statusCode).toBe(400);
    expect(jsonBody(twice)).toMatchObject({ StatusCode: 400, ErrorCode: 'MalformedRequest', ErrorMessage: expect.stringMatching(/more than once/) });
    const once = await handler(request({ scope: 'user' }), { requestId: 'once', credentials: sts.createFunctionCredentials() });
    expect(once.statusCode).toBe(200);
  });

  it.each(Object.keys(requests))('%s answers 400 MalformedRequest to repeated values given as an array, too', async (name) => {
    const handler = handlers[name] as FcHttpHandler;
    const event = JSON.parse(requests[name as keyof typeof requests]({}).toString()) as Record<string, unknown>;
    event['queryParameters'] = { scope: ['user', 'user'] };
    const response = await handler(Buffer.from(JSON.stringify(event)), { requestId: 'array', credentials: sts.createFunctionCredentials() });
    expect(jsonBody(response)).toMatchObject({ StatusCode: 400, ErrorCode: 'MalformedRequest' });
  });
});
