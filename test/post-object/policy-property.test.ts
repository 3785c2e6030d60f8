/**
 * The PostObject guarantee as a property: whatever a caller asks sign-request for, and whatever
 * form it then sends with the answer, a policy never lets through a file larger than the scope's
 * maxBytes, of a type outside its contentTypes, under another user's prefix, or (overwrite: false)
 * without x-oss-forbid-overwrite. Requests go through the real handler in `function` credential
 * mode, where the policy is the only guard; policies are judged by the OSS emulator's evaluator
 * (local/oss-emulator/post-object/policy.ts), written apart from the builder, and the expected
 * answer to each request by an oracle written here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSignRequestHandler } from '../../functions/sign-request/create-handler';
import type { FcContext, FcHttpHandler } from '../../shared/http/fc-event';
import { createLogger } from '../../shared/log';
import { OssError } from '../../local/oss-emulator/errors';
import { decodePolicy, requireConditions, requireUnexpired } from '../../local/oss-emulator/post-object/policy';
import { bearer, httpEvent, jsonBody } from '../helpers/fc-events';
import { TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, hmacToken, testEnvironment } from '../helpers/jwt';
import { oftenBe } from '../helpers/often';

const RUNS = { numRuns: 10_000 };
const FIVE_GIB = 5 * 1024 ** 3;
const BUCKET = 'photos';
const CONTEXT: FcContext = { requestId: 'property', credentials: { accessKeyId: 'LTAI.function', accessKeySecret: 'function-secret', securityToken: 'function-token' } };

interface Limits {
  maxBytes?: number;
  contentTypes?: string[];
  overwrite?: boolean;
}
interface Scope {
  prefix: string;
  actions: readonly string[];
  upload?: Limits;
}

const PATTERNS = ['image/*', 'image/png', 'text/plain', 'application/pdf', 'video/*'];
const MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml', 'IMAGE/PNG', 'text/plain', 'text/html', 'application/pdf', 'application/octet-stream', 'video/mp4', 'imagex/png'];
const NOT_MEDIA_TYPES = ['image', 'image/*', 'text/plain; charset=utf-8', '', ' image/png'];
const TYPES = [...MEDIA_TYPES, ...NOT_MEDIA_TYPES];
const IDENTITIES = ['alice', 'bob', 'alice2', 'a', 'al.ice'];
const TEMPLATES = ['users/${sub}/', 'u/${sub}/files/', 'shared/'];

const limits: fc.Arbitrary<Limits | undefined> = fc.option(
  fc.record(
    {
      maxBytes: fc.constantFrom(1, 5, 100, 1000, 1_048_576),
      contentTypes: fc.subarray(PATTERNS, { minLength: 1 }),
      overwrite: fc.boolean(),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);
const scope: fc.Arbitrary<Scope> = fc
  .record({ prefix: fc.constantFrom(...TEMPLATES), actions: fc.constantFrom(['write'], ['read', 'write'], ['read', 'write', 'list'], ['read']), upload: limits })
  .map(({ upload, ...rest }) => (upload === undefined ? rest : { ...rest, upload }));

/** Path-like text: segments of letters, dots, `..`, `${filename}`, unicode and control characters. */
const suffix = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a.txt', 'dir/b.png', 'x', 'photos/2026/c.jpg') },
  { weight: 2, arbitrary: fc.array(fc.oneof(fc.constantFrom('a', 'b.txt', '.', '..', '', '${filename}', 'dir', '\u0000', 'é', '\ud800'), fc.string({ maxLength: 4 })), { maxLength: 4 }).map((parts) => parts.join('/')) },
);
const someonesPrefix = fc.oneof(
  { weight: 6, arbitrary: fc.constant('own') },
  { weight: 2, arbitrary: fc.constantFrom('users/bob/', 'users/alice2/', 'users/', 'u/bob/files/', 'shared/', 'sharedx/', 'u/alice/', '') },
);
const target = fc.record({ kind: fc.constantFrom('key', 'keyPrefix'), where: someonesPrefix, rest: suffix, slash: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }) });
const request = fc.record({
  version: fc.constantFrom('v4', 'v1'),
  target,
  contentType: fc.option(fc.oneof({ weight: 16, arbitrary: fc.constantFrom(...MEDIA_TYPES) }, { weight: 2, arbitrary: fc.constantFrom(...NOT_MEDIA_TYPES) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), { nil: undefined, freq: 8 }),
  contentLength: fc.option(fc.oneof({ weight: 10, arbitrary: fc.constantFrom(0, 1, 4, 5, 6, 99, 100, 101, 999, 1000, 1001, 1_048_576, 1_048_577, FIVE_GIB, FIVE_GIB + 1) }, { weight: 1, arbitrary: fc.oneof(fc.nat(), fc.double(), fc.constant(-1)) }), { nil: undefined }),
});
/** What a caller does with the form: keep or replace its fields, and send a file of some size and name. */
const attempt = fc.record({
  key: fc.option(fc.oneof(someonesPrefix.chain((where) => suffix.map((rest) => ({ where, rest }))), fc.constant({ where: 'own', rest: '' })), { nil: undefined }),
  contentType: fc.option(fc.oneof(fc.constantFrom(...TYPES), fc.constant(null)), { nil: undefined }),
  forbidOverwrite: fc.option(fc.constantFrom('true', 'false', null), { nil: undefined }),
  bytes: fc.oneof(fc.constantFrom(0, 1, 5, 6, 100, 101, 1000, 1001, 1_048_576, 1_048_577, FIVE_GIB, FIVE_GIB + 1), fc.nat({ max: 2_000_000 })),
  filename: fc.oneof(fc.constantFrom('cat.png', '../bob/x', 'a/b', ''), fc.string({ maxLength: 6 })),
});

const handlers = new Map<string, FcHttpHandler>();
function handlerFor(definition: Scope): FcHttpHandler {
  const key = JSON.stringify(definition);
  let handler = handlers.get(key);
  if (handler === undefined) {
    handler = createSignRequestHandler(testEnvironment({ TVM_SCOPES: JSON.stringify({ s: definition }), TVM_SIGNING_CREDENTIALS: 'function', TVM_OSS_ENDPOINT: 'https://oss-cn-hangzhou.aliyuncs.com' }), { logger: createLogger(() => undefined) });
    handlers.set(key, handler);
  }
  return handler;
}
const tokens = new Map<string, string>();
function tokenOf(identity: string): string {
  let token = tokens.get(identity);
  if (token === undefined) {
    token = hmacToken(TEST_SECRET, { iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: identity, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 });
    tokens.set(identity, token);
  }
  return token;
}

// ---- The oracle: what sign-request must answer, and what an upload may be, from the scope alone ----

const prefixOf = (definition: Scope, identity: string): string => definition.prefix.replace('${sub}', identity);
const MEDIA = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** Whether a stored Content-Type is one a scope accepts: its lowercase type/subtype equals a pattern, or shares a `type/*` pattern's type. */
function typeAccepted(patterns: readonly string[], value: string): boolean {
  const lower = value.toLowerCase();
  if (!MEDIA.test(lower)) return false;
  const [type] = lower.split('/');
  return patterns.includes(lower) || patterns.includes(`${type}/*`);
}

function targetText(definition: Scope, identity: string, generated: { where: string; rest: string; slash: boolean; kind: string }): string {
  const base = generated.where === 'own' ? prefixOf(definition, identity) : generated.where;
  const text = `${base}${generated.rest}`;
  return generated.kind === 'keyPrefix' && generated.slash && !text.endsWith('/') ? `${text}/` : text;
}

type Verdict = { status: 200 } | { status: number; code: string };

function expectedVerdict(definition: Scope, identity: string, kind: string, value: string, contentType: string | undefined, contentLength: number | undefined): Verdict {
  if (contentType !== undefined && !MEDIA.test(contentType)) return { status: 400, code: 'MalformedRequest' };
  if (contentLength !== undefined && !(Number.isSafeInteger(contentLength) && contentLength >= 0)) return { status: 400, code: 'MalformedRequest' };
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes === 0 || bytes > 1023 || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(value) || !value.isWellFormed()) return { status: 400, code: 'MalformedRequest' };
  if (value.includes('${filename}')) return { status: 400, code: 'MalformedRequest' };
  if (kind === 'keyPrefix' && !value.endsWith('/')) return { status: 400, code: 'MalformedRequest' };
  if (value.split('/').some((segment) => segment === '.' || segment === '..')) return { status: 403, code: 'KeyNotAllowed' };
  if (!value.startsWith(prefixOf(definition, identity))) return { status: 403, code: 'KeyNotAllowed' };
  if (!definition.actions.includes('write')) return { status: 403, code: 'OperationNotAllowed' };
  const upload = definition.upload;
  if (upload?.maxBytes !== undefined && contentLength !== undefined && contentLength > upload.maxBytes) return { status: 403, code: 'UploadNotAllowed' };
  if (upload?.contentTypes !== undefined && (contentType === undefined || !typeAccepted(upload.contentTypes, contentType))) return { status: 403, code: 'UploadNotAllowed' };
  if (contentLength !== undefined && contentLength > FIVE_GIB) return { status: 403, code: 'UploadNotAllowed' };
  return { status: 200 };
}

/** Whether the emulator's evaluator lets a form through. */
function evaluatorAccepts(fields: Record<string, string>, bytes: number, now: number): boolean {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(fields)) values.set(name.toLowerCase(), value);
  try {
    const policy = decodePolicy(fields['policy'] ?? '');
    requireUnexpired(policy, now);
    requireConditions(policy, { fields: values, bucket: BUCKET, fileBytes: bytes });
    return true;
  } catch (error) {
    if (error instanceof OssError) return false;
    throw error;
  }
}

describe('PostObject policies from sign-request (property, function credentials)', () => {
  it('never let a file over maxBytes, of a type outside contentTypes, under another prefix or overwriting when forbidden through; and let the upload asked for through', async () => {
    let accepted = 0;
    let attacksThrough = 0;
    await fc.assert(
      fc.asyncProperty(scope, fc.constantFrom(...IDENTITIES), request, fc.array(attempt, { minLength: 1, maxLength: 3 }), async (definition, identity, asked, attempts) => {
        const value = targetText(definition, identity, asked.target);
        const postObject = { [asked.target.kind]: value, ...(asked.contentType === undefined ? {} : { contentType: asked.contentType }), ...(asked.contentLength === undefined ? {} : { contentLength: asked.contentLength }) };
        const response = await handlerFor(definition)(httpEvent({ method: 'POST', headers: { ...bearer(tokenOf(identity)), 'Content-Type': 'application/json' }, body: JSON.stringify({ version: asked.version, postObject }) }), CONTEXT);
        const body = jsonBody(response);

        const verdict = expectedVerdict(definition, identity, asked.target.kind, value, asked.contentType, asked.contentLength);
        oftenBe(response.statusCode, verdict.status, JSON.stringify(body));
        if ('code' in verdict) {
          oftenBe(body['ErrorCode'], verdict.code);
          return;
        }
        accepted += 1;
        const fields = body['Fields'] as Record<string, string>;
        const now = Date.now();
        const prefix = prefixOf(definition, identity);
        const upload = definition.upload ?? {};

        // Liveness: the upload the caller described goes through.
        const honest = Math.min(asked.contentLength ?? 1, upload.maxBytes ?? FIVE_GIB);
        const honestFields = { ...fields, key: fields['key']?.split('${filename}').join('cat.png') ?? '' };
        oftenBe(evaluatorAccepts(honestFields, honest, now), true);

        // Safety: no change of the form gets past a limit.
        for (const change of attempts) {
          const attempted: Record<string, string> = { ...fields };
          if (change.key !== undefined) attempted['key'] = `${change.key.where === 'own' ? prefix : change.key.where}${change.key.rest}`;
          attempted['key'] = (attempted['key'] ?? '').split('${filename}').join(change.filename);
          if (change.contentType === null) delete attempted['Content-Type'];
          else if (change.contentType !== undefined) attempted['Content-Type'] = change.contentType;
          if (change.forbidOverwrite === null) delete attempted['x-oss-forbid-overwrite'];
          else if (change.forbidOverwrite !== undefined) attempted['x-oss-forbid-overwrite'] = change.forbidOverwrite;
          if (!evaluatorAccepts(attempted, change.bytes, now)) continue;
          attacksThrough += 1;
          oftenBe(attempted['key']?.startsWith(prefix), true, `key ${attempted['key']} outside ${prefix}`);
          expect(change.bytes).toBeLessThanOrEqual(upload.maxBytes ?? FIVE_GIB);
          if (upload.contentTypes !== undefined) oftenBe(typeAccepted(upload.contentTypes, attempted['Content-Type'] ?? ''), true, `type ${attempted['Content-Type']}`);
          if (upload.overwrite === false) oftenBe(attempted['x-oss-forbid-overwrite'], 'true');
        }
      }),
      RUNS,
    );
    // The property is not vacuous: many requests were signed, and some changed forms stayed within every limit.
    expect(accepted).toBeGreaterThan(RUNS.numRuns / 10);
    expect(attacksThrough).toBeGreaterThan(0);
  }, 300_000);
});
