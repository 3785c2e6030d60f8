/**
 * The event files of events/ (what `npx s <function> local invoke -f` is given, after
 * `npm run event` fills them) stay true: each is a v1 HTTP trigger event, each is filled with
 * fillEvent and fed as a Buffer to the built dist bundle of the function it is named after, exactly
 * as the FC runtime calls `index.handler`, and each answer is checked against the table below. A file
 * added to events/ without an expectation fails.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DemoIssuer, createDemoIssuer } from '../../local/demo-issuer';
import { StsEmulator } from '../../local/sts-emulator';
import { buildFunctions } from '../../scripts/build';
import { DEFAULT_SUB, EXPIRES_IN_SECONDS, FillEventError, fillEvent, valuesFromEnvironment } from '../../scripts/fill-event';
import type { FcContext } from '../../shared/http/fc-event';
import type { HttpResponse } from '../../shared/http/message';
import { functionEnvironment } from '../helpers/function-environment';

type Handler = (event: unknown, context: FcContext) => Promise<HttpResponse>;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EVENTS = join(ROOT, 'events');
const EVENT_FILES = readdirSync(EVENTS).sort();
const ORIGIN = 'https://app.example.com';
/** The functions' bucket here: any but the `photos` of README's examples, so no event can hard-code it. */
const BUCKET = 'oss-tvm-events';
const AUTHORIZATION = /^OSS (STS\.[^:]+):([A-Za-z0-9+/]+=*)$/;
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** What the handler must answer to one event file (filled for {@link DEFAULT_SUB}). */
interface Expectation {
  readonly status: number;
  /** Response headers that must be present, with these values (or matchers). */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Fields of the JSON body. */
  readonly json?: Readonly<Record<string, unknown>>;
  /** The whole text body. */
  readonly text?: RegExp;
}

const CREDENTIALS = {
  StatusCode: 200,
  AccessKeyId: expect.stringMatching(/^STS\./),
  AccessKeySecret: expect.any(String),
  SecurityToken: expect.any(String),
  Expiration: expect.stringMatching(ISO_SECONDS),
  Bucket: BUCKET,
  Region: 'cn-hangzhou',
  Endpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
  Scope: 'user',
  Prefix: `users/${DEFAULT_SUB}/`,
};
const TEXT_SIGNATURE: Expectation = {
  status: 200,
  text: AUTHORIZATION,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', 'x-oss-security-token': expect.any(String), 'x-tvm-credentials-expiration': expect.stringMatching(ISO_SECONDS) },
};
const JSON_SIGNATURE = { StatusCode: 200, Authorization: expect.stringMatching(AUTHORIZATION), SecurityToken: expect.any(String), Expiration: expect.stringMatching(ISO_SECONDS) };
const READABLE_BY_ORIGIN = { 'Access-Control-Allow-Origin': ORIGIN, Vary: 'Origin' };
function preflight(methods: string, allowHeaders = 'Authorization, Content-Type'): Expectation {
  return { status: 204, headers: { ...READABLE_BY_ORIGIN, 'Access-Control-Allow-Methods': methods, 'Access-Control-Allow-Headers': allowHeaders } };
}
function refusal(status: number, code: string, headers: Record<string, unknown> = {}): Expectation {
  return { status, json: { StatusCode: status, ErrorCode: code, ErrorMessage: expect.any(String), RequestId: expect.any(String) }, headers };
}

const EXPECTED: Readonly<Record<string, Expectation>> = {
  'vend-token.get.json': { status: 200, json: CREDENTIALS, headers: { 'Cache-Control': 'no-store' } },
  'vend-token.post-scope.json': { status: 200, json: CREDENTIALS, headers: READABLE_BY_ORIGIN },
  'vend-token.post-base64.json': { status: 200, json: CREDENTIALS },
  'vend-token.preflight.json': preflight('GET, POST'),
  'vend-token.no-token.json': refusal(401, 'InvalidToken', { 'WWW-Authenticate': expect.stringMatching(/^Bearer\b/) }),
  'sign-request.put-text.json': TEXT_SIGNATURE,
  'sign-request.put-json.json': {
    status: 200,
    json: { ...JSON_SIGNATURE, SignedString: expect.stringMatching(/\nx-oss-date:[^\n]+\nx-oss-security-token:[^\n]+\n\/oss-tvm-events\/users\/alice\/avatar\.png$/) },
    headers: { ...READABLE_BY_ORIGIN, 'Access-Control-Expose-Headers': 'x-oss-security-token, x-tvm-credentials-expiration, Date' },
  },
  'sign-request.upload-part.json': TEXT_SIGNATURE,
  'sign-request.presigned-get.json': { status: 200, json: { ...JSON_SIGNATURE, SignedString: expect.stringMatching(/^GET\n\n\n\d+\n\/oss-tvm-events\/users\/alice\/photo\.jpg\?security-token=[^&\n]+$/) } },
  'sign-request.list-objects.json': refusal(403, 'ListingNotSignable'),
  'sign-request.preflight.json': preflight('POST, GET', 'Authorization, Content-Type, x-tvm-session-ticket'),
  'sign-request.put-base64.json': TEXT_SIGNATURE,
};

let outdir: string;
let sts: StsEmulator;
let issuer: DemoIssuer;
let token: string;
let functionCredentials: ReturnType<StsEmulator['createFunctionCredentials']>;
const handlers = new Map<string, Handler>();

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'oss-tvm-events-'));
  const built = await buildFunctions(outdir);
  sts = await StsEmulator.start();
  functionCredentials = sts.createFunctionCredentials();
  issuer = await createDemoIssuer('https://id.example.com/', 'oss-tvm-app');
  token = await issuer.issue(DEFAULT_SUB);
  // The bundles read their configuration from process.env when loaded, as at an FC cold start.
  withEnvironment(
    functionEnvironment(sts, issuer, { TVM_BUCKET: BUCKET, TVM_CORS_ALLOWED_ORIGINS: ORIGIN }),
    () => {
      const load = createRequire(import.meta.url);
      for (const { name, kind, file } of built) if (kind === 'event') handlers.set(name, (load(file) as { handler: Handler }).handler);
    },
  );
});

afterAll(async () => {
  rmSync(outdir, { recursive: true, force: true });
  await sts?.close();
});

/** Runs `action` with exactly these TVM_* variables set (others removed), then restores process.env. */
function withEnvironment(settings: Record<string, string>, action: () => void): void {
  const saved = Object.entries(process.env).filter(([name]) => name.startsWith('TVM_'));
  for (const [name] of saved) delete process.env[name];
  Object.assign(process.env, settings);
  try {
    action();
  } finally {
    for (const name of Object.keys(settings)) delete process.env[name];
    for (const [name, value] of saved) process.env[name] = value;
  }
}

function readEvent(file: string): string {
  return readFileSync(join(EVENTS, file), 'utf8');
}

/** The function an event file is for: the part of its name before the first dot. */
function functionOf(file: string): string {
  return file.slice(0, file.indexOf('.'));
}

/** Calls the bundle of `file`'s function with the filled event as FC does; returns its answer and log lines. */
async function invoke(file: string, filled: string, requestId: string): Promise<{ response: HttpResponse; logs: Record<string, unknown>[] }> {
  const handler = handlers.get(functionOf(file));
  if (handler === undefined) throw new Error(`No bundle for ${file}`);
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const response = await handler(Buffer.from(filled), { requestId, credentials: functionCredentials, region: 'cn-hangzhou' });
    return { response, logs: lines.flatMap((line) => line.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>) };
  } finally {
    write.mockRestore();
  }
}

/** The string-to-sign a filled sign-request event carries (text or JSON mode, base64 or not). */
function contentOf(filled: string): string {
  const event = JSON.parse(filled) as { headers: Record<string, string>; body: string; isBase64Encoded: boolean };
  const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const json = Object.entries(event.headers).some(([name, value]) => name.toLowerCase() === 'content-type' && value.startsWith('application/json'));
  return json ? (JSON.parse(body) as { stringToSign: string }).stringToSign : body;
}

/**
 * What OSS must see signed for `content` and `securityToken`, worked out here independently: the
 * token as a header line among the sorted x-oss lines, or, for a presigned URL (numeric Date line),
 * as the `security-token` sub-resource (the event files' presigned contents have no other).
 */
function expectedSignedContent(content: string, securityToken: string): string {
  const lines = content.split('\n');
  const resource = lines.pop() ?? '';
  if (/^\d+$/.test(lines[3] ?? '')) return `${content}${resource.includes('?') ? '&' : '?'}security-token=${securityToken}`;
  const headers = [...lines.slice(4), `x-oss-security-token:${securityToken}`].sort((a, b) => (a.split(':')[0] ?? '').localeCompare(b.split(':')[0] ?? ''));
  return [...lines.slice(0, 4), ...headers, resource].join('\n');
}

describe('events/', () => {
  it('holds event files named <function>.<call>.json after a function that is built', () => {
    expect(EVENT_FILES.length).toBeGreaterThan(0);
    for (const file of EVENT_FILES) {
      expect(file).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+\.json$/);
      expect([...handlers.keys()]).toContain(functionOf(file));
    }
  });

  it('has an event for every function', () => {
    expect(new Set(EVENT_FILES.map(functionOf))).toEqual(new Set(handlers.keys()));
  });

  it('has an expectation in this test for every event file, and an event file for every expectation', () => {
    expect(EVENT_FILES).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(EVENT_FILES)('%s is an FC 3.0 HTTP trigger event (v1) before filling', (file) => {
    const event = JSON.parse(readEvent(file)) as Record<string, unknown>;
    expect(Object.keys(event).sort()).toEqual(['body', 'headers', 'isBase64Encoded', 'queryParameters', 'rawPath', 'requestContext', 'version']);
    expect(event).toMatchObject({ version: 'v1', rawPath: expect.stringMatching(/^\//), body: expect.any(String), isBase64Encoded: expect.any(Boolean) });
    for (const field of ['headers', 'queryParameters'] as const) {
      expect(Object.values(event[field] as object).every((value) => typeof value === 'string')).toBe(true);
    }
    const context = event['requestContext'] as Record<string, unknown>;
    expect(Object.keys(context).sort()).toEqual(['accountId', 'domainName', 'domainPrefix', 'http', 'requestId', 'time', 'timeEpoch']);
    expect(Object.values(context).every((value) => typeof value === 'string' || typeof value === 'object')).toBe(true);
    expect(context['domainName']).toBe(`${context['domainPrefix'] as string}.cn-hangzhou.fcapp.run`);
    const http = context['http'] as Record<string, unknown>;
    expect(Object.keys(http).sort()).toEqual(['method', 'path', 'protocol', 'sourceIp', 'userAgent']);
    expect(http).toMatchObject({ method: expect.stringMatching(/^(GET|POST|OPTIONS)$/), path: event['rawPath'], protocol: 'HTTP/1.1', sourceIp: expect.any(String) });
    expect(http['userAgent']).toBe((event['headers'] as Record<string, string>)['User-Agent']);
    if (event['isBase64Encoded'] === true) expect(event['body']).toMatch(/^([A-Za-z0-9+/]+={0,2}|\$\{BASE64:[^]*\})$/);
  });

  it.each(EVENT_FILES)('%s is answered by the built bundle as this test expects', async (file) => {
    // Prepare
    const expected = EXPECTED[file];
    if (expected === undefined) throw new Error(`events/${file} has no expectation in EXPECTED: add one.`);
    const filled = fillEvent(readEvent(file), { token, bucket: BUCKET, now: Date.now() });
    const requestId = `events-${file}`;
    // Act
    const { response, logs } = await invoke(file, filled, requestId);
    // Assess
    expect({ status: response.statusCode, body: response.body }).toMatchObject({ status: expected.status });
    expect(response.isBase64Encoded).toBe(false);
    if (expected.headers !== undefined) expect(response.headers).toMatchObject(expected.headers);
    if (expected.json !== undefined) expect(JSON.parse(response.body)).toMatchObject(expected.json);
    if (expected.text !== undefined) expect(response.body).toMatch(expected.text);
    expect(logs.filter((line) => line['requestId'] === requestId)).toEqual([expect.objectContaining({ function: functionOf(file), status: response.statusCode })]);
    expect(logs.some((line) => JSON.stringify(line).includes(token))).toBe(false);
  });

  it.each(EVENT_FILES.filter((file) => EXPECTED[file]?.status === 200))('%s: the answer holds credentials STS issued to the function role', async (file) => {
    // Prepare
    const filled = fillEvent(readEvent(file), { token, bucket: BUCKET, now: Date.now() });
    // Act
    const { response } = await invoke(file, filled, `events-sts-${file}`);
    // Assess: vend-token's keys, or sign-request's signing keys, came from AssumeRole signed with context.credentials.
    const json = response.headers['Content-Type']?.startsWith('application/json') ? (JSON.parse(response.body) as Record<string, string>) : undefined;
    const accessKeyId = json?.['AccessKeyId'] ?? AUTHORIZATION.exec(json?.['Authorization'] ?? response.body)?.[1] ?? '';
    const issued = sts.findIssued(accessKeyId);
    expect(issued).toMatchObject({ callerAccessKeyId: functionCredentials.accessKeyId, roleArn: sts.defaultRoleArn });
    if (functionOf(file) !== 'sign-request' || issued === undefined) return;
    // …and sign-request's signature is the HMAC-SHA1 of the content with the token bound in, under that secret.
    const securityToken = json?.['SecurityToken'] ?? response.headers['x-oss-security-token'] ?? '';
    expect(securityToken).toBe(issued.issued.securityToken);
    const signedContent = expectedSignedContent(contentOf(filled), securityToken);
    if (json !== undefined) expect(json['SignedString']).toBe(signedContent);
    const signature = createHmac('sha1', issued.issued.accessKeySecret).update(signedContent, 'utf8').digest('base64');
    expect(json?.['Authorization'] ?? response.body).toBe(`OSS ${accessKeyId}:${signature}`);
  });
});

describe('fillEvent', () => {
  const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 123);

  it('replaces every placeholder, in keys and values, and leaves the rest of the text alone', () => {
    // Prepare
    const source = JSON.stringify({
      headers: { Authorization: 'Bearer ${TOKEN}', 'x-${SUB}': '$ {not} $5' },
      body: 'PUT\n\n\n${DATE}\n/photos/users/${SUB}/a.jpg',
      presigned: '${EXPIRES}',
      requestContext: { time: '${TIME}', timeEpoch: '${TIME_EPOCH}' },
      list: ['${SUB}', 1, true, null],
    });
    // Act
    const filled = JSON.parse(fillEvent(source, { token: 'eyJ.abc-_.x9', now: NOW }));
    // Assess
    expect(filled).toEqual({
      headers: { Authorization: 'Bearer eyJ.abc-_.x9', 'x-alice': '$ {not} $5' },
      body: 'PUT\n\n\nMon, 23 Nov 2026 10:00:00 GMT\n/photos/users/alice/a.jpg',
      presigned: String(Math.floor(NOW / 1000) + EXPIRES_IN_SECONDS),
      requestContext: { time: '2026-11-23T10:00:00Z', timeEpoch: String(NOW) },
      list: ['alice', 1, true, null],
    });
  });

  it('encodes ${BASE64:…} after filling the placeholders inside it, braces included', () => {
    const source = JSON.stringify({ a: '${BASE64:PUT\n\n\n${DATE}\n/photos/users/${SUB}/a.jpg}', b: '${BASE64:{"scope":"user"}}', c: '${BASE64:}' });
    const filled = JSON.parse(fillEvent(source, { sub: 'bob', now: NOW })) as Record<string, string>;
    expect(Buffer.from(filled['a'] ?? '', 'base64').toString()).toBe('PUT\n\n\nMon, 23 Nov 2026 10:00:00 GMT\n/photos/users/bob/a.jpg');
    expect(Buffer.from(filled['b'] ?? '', 'base64').toString()).toBe('{"scope":"user"}');
    expect(filled['c']).toBe('');
  });

  it.each(EVENT_FILES)('fills %s into valid JSON with no placeholder left, its dates within the signing window', (file) => {
    // Act
    const filled = fillEvent(readEvent(file), { token: 'header.payload.signature', bucket: BUCKET, now: NOW });
    // Assess
    expect(filled.endsWith('\n')).toBe(true);
    expect(filled).not.toContain('${');
    const event = JSON.parse(filled) as { body: string; isBase64Encoded: boolean; requestContext: { time: string; timeEpoch: string } };
    expect(event.requestContext).toMatchObject({ time: '2026-11-23T10:00:00Z', timeEpoch: String(NOW) });
    if (event.isBase64Encoded) expect(Buffer.from(event.body, 'base64').toString('base64')).toBe(event.body);
    if (functionOf(file) === 'sign-request' && event.body !== '') {
      const content = contentOf(filled);
      expect(content.split('\n')[3]).toMatch(/^(Mon, 23 Nov 2026 10:00:00 GMT|1795428600)$/);
      expect(content).not.toMatch(/[\r\t]/);
    }
  });

  it('refuses an unknown placeholder, naming it and the known ones', () => {
    const fill = (text: string) => () => fillEvent(JSON.stringify({ body: text }), { token: 't', now: NOW });
    expect(fill('users/${sub}/')).toThrow(FillEventError);
    expect(fill('users/${sub}/')).toThrow(/Unknown placeholder \$\{sub\}.*\$\{SUB\}/);
    expect(fill('${USER}')).toThrow(/Unknown placeholder \$\{USER\}/);
    expect(fill('${}')).toThrow(/Unknown placeholder/);
    expect(fill('${BASE64:${NOPE}}')).toThrow(/Unknown placeholder \$\{NOPE\}/);
  });

  it('refuses malformed placeholders and values that cannot stand in an event', () => {
    const fill = (text: string, values = {}) => () => fillEvent(JSON.stringify({ body: text }), { token: 't', now: NOW, ...values });
    expect(fill('${DATE')).toThrow(/no closing/);
    expect(fill('${BASE64}')).toThrow(/\$\{BASE64:<text>\}/);
    expect(fill('${DATE:x}')).toThrow(/takes no argument/);
    expect(fill('${SUB}', { sub: '../bob' })).toThrow(/TVM_EVENT_SUB/);
    expect(fill('${SUB}', { sub: '*' })).toThrow(/TVM_EVENT_SUB/);
    expect(fill('${TOKEN}', { token: 'Bearer abc' })).toThrow(/TVM_EVENT_TOKEN/);
    expect(() => fillEvent('{"body": "${DATE}",}', { now: NOW })).toThrow(/not JSON/);
  });

  it('needs a token only for a file that uses ${TOKEN}', () => {
    expect(() => fillEvent(readEvent('vend-token.get.json'), { now: NOW })).toThrow(/TVM_EVENT_TOKEN/);
    expect(JSON.parse(fillEvent(readEvent('vend-token.preflight.json'), { now: NOW }))).toMatchObject({ requestContext: { http: { method: 'OPTIONS' } } });
  });

  it('fills ${BUCKET}, needed by every sign-request file, with the bucket the function is configured with', () => {
    for (const file of EVENT_FILES.filter((name) => functionOf(name) === 'sign-request' && readEvent(name).includes('Bearer'))) {
      expect(readEvent(file)).toContain('/${BUCKET}/');
      expect(() => fillEvent(readEvent(file), { token: 't', now: NOW })).toThrow(/\$\{BUCKET\}: set TVM_BUCKET/);
      expect(contentOf(fillEvent(readEvent(file), { token: 't', bucket: 'my-bucket', now: NOW }))).toMatch(/\n\/my-bucket\//);
    }
    expect(() => fillEvent(JSON.stringify({ body: '/${BUCKET}/' }), { bucket: 'Photos', now: NOW })).toThrow(/TVM_BUCKET "Photos" is not a bucket name/);
  });

  it('reads the token, the user and the bucket from TVM_EVENT_TOKEN, TVM_EVENT_SUB and TVM_BUCKET, empty meaning unset', () => {
    expect(valuesFromEnvironment({ TVM_EVENT_TOKEN: ' abc\n', TVM_EVENT_SUB: 'bob', TVM_BUCKET: 'photos' }, NOW)).toEqual({ token: 'abc', sub: 'bob', bucket: 'photos', now: NOW });
    expect(valuesFromEnvironment({ TVM_EVENT_TOKEN: '', TVM_EVENT_SUB: '  ', TVM_BUCKET: '' }, NOW)).toEqual({ now: NOW });
  });
});

describe('npm run event', () => {
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'scripts/fill-event.ts'), ...args], { cwd: ROOT, env: { PATH: process.env['PATH'], ...env } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });

  it('prints the filled event, ready for s local invoke -f', async () => {
    const { code, stdout } = await run(['events/sign-request.put-text.json'], { TVM_EVENT_TOKEN: 'abc.def.ghi', TVM_EVENT_SUB: 'bob', TVM_BUCKET: 'photos' });
    expect(code).toBe(0);
    const event = JSON.parse(stdout) as { headers: Record<string, string>; body: string };
    expect(event.headers['Authorization']).toBe('Bearer abc.def.ghi');
    expect(event.body).toMatch(/^PUT\n[^\n]*\nimage\/jpeg\n\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT\nx-oss-meta-owner:bob\n\/photos\/users\/bob\/photo\.jpg$/);
  });

  it('exits with code 2 and says why when the token is missing or the file is not there', async () => {
    const missing = await run(['events/vend-token.get.json'], {});
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/TVM_EVENT_TOKEN/);
    const absent = await run(['events/nope.json'], { TVM_EVENT_TOKEN: 'x' });
    expect(absent).toMatchObject({ code: 2, stdout: '' });
    expect(absent.stderr).toMatch(/cannot read events\/nope\.json/);
  });
});
