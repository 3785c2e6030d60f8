/**
 * An offline emulator of the Alibaba Cloud OSS object API: a real HTTP server on loopback that
 * authenticates every request as OSS does (V1/V4, header and presigned URL, STS security tokens,
 * expiry, clock skew, Content-MD5), authorizes it as RAM does (the role's policy intersected with the
 * session policy of the credentials) and answers in OSS's XML shapes, errors included.
 *
 * Operations: PutObject, GetObject (Range), HeadObject, GetObjectMeta, DeleteObject,
 * InitiateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
 * ListObjects (v1) and ListObjectsV2, PostObject (HTML form uploads, V4 and V1 form signatures and
 * policies: local/oss-emulator/post-object/), path style (`/<bucket>/<key>`) and virtual-host style
 * (`Host: <bucket>.<domain>`). Bucket CORS rules answer preflights and let pages read answers.
 * Objects live in memory. A bucket may accept only V4 signatures, as one created since 2025-09-01
 * does (`v4OnlyBuckets`).
 *
 * @example
 * ```ts
 * const oss = await OssEmulator.start({
 *   buckets: ['oss-tvm-sandbox'],
 *   credentials: credentialsFromSts(sts),
 *   rolePolicies: { [sts.defaultRoleArn]: rolePolicy },
 * });
 * const client = new OSS({ endpoint: oss.url, bucket: 'oss-tvm-sandbox', region: 'oss-cn-hangzhou', ... });
 * await oss.close();
 * ```
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { listen } from './listen';
import { authenticate, signatureKind } from './oss-emulator/authenticate';
import type { AuthenticatedCaller, CredentialRecord } from './oss-emulator/authenticate';
import { OssError, accessDenied, invalidArgument, malformedXml, noSuchBucket, noSuchKey, noSuchUpload, notImplemented, v1SignatureNotSupported } from './oss-emulator/errors';
import { type CorsConfiguration, corsHeaders, preflight } from './oss-emulator/cors';
import { additionalActions, refuseUnmodelled } from './oss-emulator/features';
import { authorizeRequest } from './oss-emulator/policy';
import { isPostObject, postObjectReply, receivePostObject } from './oss-emulator/post-object/receive';
import { addressings, hasQuery, parseQuery, queryValue } from './oss-emulator/request';
import type { OssRequest } from './oss-emulator/request';
import { BucketStore, listKeys, md5, multipartEtag, newUploadId, simpleEtag } from './oss-emulator/store';
import type { StoredObject, Upload } from './oss-emulator/store';
import { elementTexts, escapeXml, xmlDocument } from './oss-emulator/xml';
import type { XmlNode } from './oss-emulator/xml';

export type { CredentialRecord } from './oss-emulator/authenticate';
export type { CorsConfiguration, CorsRule } from './oss-emulator/cors';
export { OssError } from './oss-emulator/errors';

/** Options of {@link OssEmulator.start}. */
export interface OssEmulatorOptions {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on. Default 0 (an ephemeral port). */
  port?: number;
  /** The buckets that exist, e.g. `['oss-tvm-sandbox']`. */
  buckets: string[];
  /**
   * Buckets (of {@link buckets}) that accept only V4 signatures, as a bucket created since 2025-09-01
   * does: a V1-signed request to one is refused with 403 `AccessDenied`, EC `0002-00000080`. The
   * others accept V1 and V4, as a legacy bucket does. Default: none.
   */
  v4OnlyBuckets?: readonly string[];
  /** The region V4 signatures must be scoped to. Default `cn-hangzhou`. */
  region?: string;
  /**
   * Looks up credentials by AccessKeyId: issued STS credentials with their session policy and role
   * (see {@link credentialsFromSts}). Credentials with a `securityToken` require it on every request.
   */
  credentials: (accessKeyId: string) => CredentialRecord | undefined;
  /** The permission policy (RAM JSON text or object) of each role by ARN; a role without one is allowed nothing. */
  rolePolicies: Record<string, string | object>;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Each bucket's CORS rules (PutBucketCors), by bucket name; a bucket without any answers no preflight. */
  cors?: Readonly<Record<string, CorsConfiguration>>;
}

/** An object as stored. */
export interface OssEmulatorObject {
  body: Buffer;
  etag: string;
  contentType?: string;
  meta: Record<string, string>;
}

/** The part of an STS emulator's AssumeRole record the OSS emulator needs. */
interface IssuedRecord {
  roleArn: string;
  policy?: string;
  issued: { accessKeySecret: string; securityToken: string; expiration: string };
}

/** The part of an STS emulator's registered keys (long-term or the function role's) the OSS emulator needs. */
interface RegisteredKey {
  accessKeySecret: string;
  securityToken?: string;
  principal: string;
}

/**
 * Adapts an STS emulator (local/sts-emulator.ts) to {@link OssEmulatorOptions.credentials}: the
 * credentials AssumeRole issued (`findIssued`: the app role, with their session policy), and the keys
 * registered with it (`findRegistered`: e.g. the function role's own, which sign in function mode),
 * each acting as its RAM principal.
 */
export function credentialsFromSts(sts: { findIssued(accessKeyId: string): IssuedRecord | undefined; findRegistered?(accessKeyId: string): RegisteredKey | undefined }): OssEmulatorOptions['credentials'] {
  return (accessKeyId) => {
    const record = sts.findIssued(accessKeyId);
    if (!record) {
      const registered = sts.findRegistered?.(accessKeyId);
      return registered && { accessKeySecret: registered.accessKeySecret, ...(registered.securityToken === undefined ? {} : { securityToken: registered.securityToken }), roleArn: registered.principal };
    }
    return {
      accessKeySecret: record.issued.accessKeySecret,
      securityToken: record.issued.securityToken,
      expiration: record.issued.expiration,
      roleArn: record.roleArn,
      ...(record.policy === undefined ? {} : { sessionPolicy: record.policy }),
    };
  };
}

type Operation =
  | 'PutObject'
  | 'GetObject'
  | 'HeadObject'
  | 'GetObjectMeta'
  | 'DeleteObject'
  | 'InitiateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts'
  | 'ListObjects'
  | 'ListObjectsV2';

/** The RAM action each operation needs (notes/oss-signing.md §6.2); headers and parameters may add more (oss-emulator/features.ts). */
const ACTIONS: Record<Operation, string> = {
  PutObject: 'oss:PutObject',
  InitiateMultipartUpload: 'oss:PutObject',
  UploadPart: 'oss:PutObject',
  CompleteMultipartUpload: 'oss:PutObject',
  AbortMultipartUpload: 'oss:AbortMultipartUpload',
  ListParts: 'oss:ListParts',
  GetObject: 'oss:GetObject',
  HeadObject: 'oss:GetObject',
  GetObjectMeta: 'oss:GetObject',
  DeleteObject: 'oss:DeleteObject',
  ListObjects: 'oss:ListObjects',
  ListObjectsV2: 'oss:ListObjects',
};

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MIN_PART_BYTES = 100 * 1024;
const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};
/** Bucket- or object-level sub-resources of operations the emulator does not implement. */
const UNSUPPORTED_SUBRESOURCES = [
  'acl', 'tagging', 'symlink', 'append', 'restore', 'cors', 'lifecycle', 'logging', 'website', 'referer', 'location',
  'bucketInfo', 'stat', 'versioning', 'versions', 'policy', 'delete', 'encryption', 'replication', 'worm', 'inventory', 'uploads',
];

function newRequestId(): string {
  return randomBytes(12).toString('hex').toUpperCase();
}

function normaliseHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : value;
    // Node decodes header bytes as latin1; OSS signs UTF-8 text.
    out[name.toLowerCase()] = /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size of the emulator.'));
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function errorXml(error: OssError, requestId: string, hostId: string): string {
  const extra = Object.entries(error.details)
    .map(([name, value]) => `  <${name}>${escapeXml(value)}</${name}>\n`)
    .join('');
  const ec = error.ec === undefined ? '' : `  <EC>${error.ec}</EC>\n`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${escapeXml(error.code)}</Code>\n  <Message>${escapeXml(error.message)}</Message>\n` +
    `  <RequestId>${requestId}</RequestId>\n  <HostId>${escapeXml(hostId)}</HostId>\n${extra}${ec}</Error>\n`
  );
}

function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

function checkContentMd5(headers: Readonly<Record<string, string>>, body: Buffer): void {
  const sent = headers['content-md5'];
  if (sent === undefined) return;
  const digest = Buffer.from(sent.trim(), 'base64');
  if (digest.length !== 16 || digest.toString('base64') !== sent.trim()) {
    throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', { 'Content-MD5': sent });
  }
  if (!digest.equals(md5(body))) {
    throw new OssError(400, 'InvalidDigest', 'The Content-MD5 you specified did not match what we received.', {
      'Content-MD5': sent,
      CalculatedMD5: md5(body).toString('base64'),
    });
  }
}

function objectHeaders(request: OssRequest): { contentType?: string; meta: Record<string, string>; headers: Record<string, string> } {
  const meta: Record<string, string> = {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.startsWith('x-oss-meta-')) meta[name] = value;
  }
  for (const name of STORED_HEADERS) {
    const value = request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const contentType = request.headers['content-type'];
  return { ...(contentType === undefined ? {} : { contentType }), meta, headers };
}

function resolveOperation(request: OssRequest): Operation {
  const { method, key } = request;
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => hasQuery(request, name) && !(name === 'uploads' && key !== '' && method === 'POST'));
  if (unsupported !== undefined) throw notImplemented(`the '${unsupported}' sub-resource`);
  if (key === '') {
    if (method !== 'GET') throw notImplemented(`${method} on a bucket`);
    const listType = queryValue(request, 'list-type');
    if (listType === undefined) return 'ListObjects';
    if (listType !== '2') throw invalidArgument('list-type must be 2.', { ArgumentName: 'list-type', ArgumentValue: listType });
    return 'ListObjectsV2';
  }
  switch (method) {
    case 'PUT':
      if (request.headers['x-oss-copy-source'] !== undefined) throw notImplemented('CopyObject and UploadPartCopy');
      return hasQuery(request, 'uploadId') || hasQuery(request, 'partNumber') ? 'UploadPart' : 'PutObject';
    case 'GET':
      if (hasQuery(request, 'objectMeta')) return 'GetObjectMeta';
      return hasQuery(request, 'uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return hasQuery(request, 'objectMeta') ? 'GetObjectMeta' : 'HeadObject';
    case 'DELETE':
      return hasQuery(request, 'uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'POST':
      if (hasQuery(request, 'uploads')) return 'InitiateMultipartUpload';
      if (hasQuery(request, 'uploadId')) return 'CompleteMultipartUpload';
      throw notImplemented('this POST request');
    default:
      throw new OssError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: method });
  }
}

/** An integer query parameter in `min..max`, `fallback` when absent. */
function integerParameter(request: OssRequest, name: string, fallback: number, min: number, max: number): number {
  const value = queryValue(request, name);
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw invalidArgument(`Argument ${name} must be an integer between ${min} and ${max}.`, { ArgumentName: name, ArgumentValue: value });
  }
  return Number(value);
}

/** `[start, end]` (inclusive) of a single `bytes=` range, undefined to serve the whole object. */
function parseRange(header: string | undefined, size: number): [number, number] | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const first = match[1] ?? '';
  const last = match[2] ?? '';
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw rangeError(size, header);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return undefined;
  }
  if (start >= size) throw rangeError(size, header);
  return [start, end];
}

function rangeError(size: number, header: string): OssError {
  return new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied', { RangeRequested: header, ActualObjectSize: String(size) }, '0017-00000101');
}

function xmlReply(root: string, children: readonly XmlNode[], headers: Record<string, string> = {}): Reply {
  return { status: 200, headers: { 'Content-Type': 'application/xml', ...headers }, body: xmlDocument(root, children) };
}

/**
 * An offline OSS on loopback. Start it with {@link OssEmulator.start}; always {@link OssEmulator.close} it.
 */
export class OssEmulator {
  /** Base URL, `http://127.0.0.1:<port>`: path style is `<url>/<bucket>/<key>`. */
  readonly url: string;
  /** Same as {@link url}. */
  readonly endpoint: string;

  private readonly server: Server;
  private readonly buckets = new Map<string, BucketStore>();
  private readonly bucketNames: ReadonlySet<string>;
  private readonly v4OnlyBuckets: ReadonlySet<string>;
  private readonly region: string;
  private readonly now: () => number;
  private readonly options: OssEmulatorOptions;
  private readonly sockets = new Set<Socket>();
  private requestCount = 0;
  private closing: Promise<void> | undefined;

  private constructor(server: Server, url: string, options: OssEmulatorOptions) {
    this.server = server;
    this.url = url;
    this.endpoint = url;
    this.options = options;
    this.region = options.region ?? 'cn-hangzhou';
    this.now = options.now ?? Date.now;
    for (const bucket of options.buckets) this.buckets.set(bucket, new BucketStore(bucket));
    this.bucketNames = new Set(options.buckets);
    this.v4OnlyBuckets = new Set(options.v4OnlyBuckets ?? []);
    server.on('connection', (socket: Socket) => {
      if (this.closing) socket.destroy();
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
  }

  /** Starts an emulator listening on `host:port` (default `127.0.0.1`, an ephemeral port). */
  static async start(options: OssEmulatorOptions): Promise<OssEmulator> {
    if (options.buckets.length === 0) throw new TypeError('At least one bucket is required.');
    const unknown = options.v4OnlyBuckets?.find((bucket) => !options.buckets.includes(bucket));
    if (unknown !== undefined) throw new TypeError(`v4OnlyBuckets names a bucket that is not in buckets: ${unknown}`);
    const server = createServer();
    const host = options.host ?? '127.0.0.1';
    await listen(server, host, options.port ?? 0);
    const { port } = server.address() as AddressInfo;
    return new OssEmulator(server, `http://${host.includes(':') ? `[${host}]` : host}:${port}`, options);
  }

  /** Requests received, whatever their outcome. */
  get requests(): number {
    return this.requestCount;
  }

  /**
   * The objects of `bucket` by key (a live view).
   *
   * @throws RangeError when the bucket is not configured.
   */
  objects(bucket: string): ReadonlyMap<string, OssEmulatorObject> {
    const store = this.buckets.get(bucket);
    if (!store) throw new RangeError(`No such bucket: ${bucket}`);
    return store.objects;
  }

  /** Deletes every object and multipart upload and zeroes the request counter. */
  reset(): void {
    for (const store of this.buckets.values()) {
      store.objects.clear();
      store.uploads.clear();
    }
    this.requestCount = 0;
  }

  /** Stops listening and destroys open connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount += 1;
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const requestId = newRequestId();
    const method = (req.method ?? 'GET').toUpperCase();
    const headers = normaliseHeaders(req.headers);
    const hostId = headers['host'] ?? `oss-${this.region}.aliyuncs.com`;
    let cors: Record<string, string> = {};
    try {
      const body = await readBody(req);
      const rawUrl = req.url ?? '/';
      const mark = rawUrl.indexOf('?');
      const rawPath = mark < 0 ? rawUrl : rawUrl.slice(0, mark);
      const query = parseQuery(mark < 0 ? '' : rawUrl.slice(mark + 1));
      const requests: OssRequest[] = addressings(rawPath, headers['host'], this.bucketNames).map((addressing) => ({
        method,
        bucket: addressing.bucket,
        key: addressing.key,
        headers,
        query,
      }));
      const bucket = requests[0]?.bucket;
      if (bucket === undefined) throw notImplemented('service-level requests (ListBuckets)');
      const store = this.buckets.get(bucket);
      if (!store) throw noSuchBucket(bucket);
      cors = corsHeaders(this.options.cors?.[bucket], headers, method);
      if (method === 'OPTIONS') {
        this.send(res, method, requestId, { status: 200, headers: preflight(this.options.cors?.[bucket], headers) });
        return;
      }
      if (requests[0] !== undefined && isPostObject(requests[0])) {
        this.send(res, method, requestId, this.postObject(requests[0], store, body, req.socket.remoteAddress ?? ''), cors);
        return;
      }
      if (this.v4OnlyBuckets.has(bucket) && signatureKind(requests[0] as OssRequest)?.startsWith('v1-')) throw v1SignatureNotSupported();
      const { request, caller } = this.authenticateFirst(requests);
      const operation = resolveOperation(request);
      this.authorize(caller, operation, request, req.socket.remoteAddress ?? '');
      refuseUnmodelled(operation, request);
      checkContentMd5(headers, body);
      this.send(res, method, requestId, this.execute(operation, request, store, body), cors);
    } catch (error) {
      const refusal = error instanceof OssError ? error : new OssError(500, 'InternalError', 'We encountered an internal error. Please try again.');
      this.sendError(res, method, requestId, hostId, refusal, cors);
    }
  }

  /** PostObject: the form checked (local/oss-emulator/post-object), then authorized and stored as a PutObject of its key. */
  private postObject(request: OssRequest, store: BucketStore, body: Buffer, sourceIp: string): Reply {
    const upload = receivePostObject(request, body, { credentials: this.options.credentials, nowMs: this.now(), region: this.region, v4Only: this.v4OnlyBuckets.has(store.name) });
    const put: OssRequest = { method: 'PUT', bucket: store.name, key: upload.key, headers: upload.headers, query: [] };
    this.authorize(upload.caller, 'PutObject', put, sourceIp);
    const stored = this.putObject(put, store, upload.file);
    return postObjectReply(upload, store.name, `${this.url}/${store.name}/${upload.key}`, stored.headers?.['ETag'] ?? '');
  }

  /** The first reading of the request whose signature verifies; the first reading's refusal otherwise. */
  private authenticateFirst(requests: readonly OssRequest[]): { request: OssRequest; caller: AuthenticatedCaller } {
    let firstError: unknown;
    for (const request of requests) {
      try {
        return { request, caller: authenticate(request, { credentials: this.options.credentials, nowMs: this.now(), region: this.region }) };
      } catch (error) {
        firstError ??= error;
        if (!(error instanceof OssError) || error.code !== 'SignatureDoesNotMatch') break;
      }
    }
    throw firstError;
  }

  private authorize(caller: AuthenticatedCaller, operation: Operation, request: OssRequest, sourceIp: string): void {
    const { roleArn, sessionPolicy } = caller.credentials;
    const account = /^acs:ram::(\d+):role\//i.exec(roleArn ?? '')?.[1] ?? '*';
    const bucketLevel = operation === 'ListObjects' || operation === 'ListObjectsV2';
    const resource = `acs:oss:${this.region}:${account}:${request.bucket ?? ''}${bucketLevel ? '' : `/${request.key}`}`;
    const context: Record<string, string> = { 'acs:SourceIp': sourceIp, 'acs:SecureTransport': 'false', 'acs:CurrentTime': isoMillis(this.now()) };
    if (bucketLevel) {
      context['oss:Prefix'] = queryValue(request, 'prefix') ?? '';
      context['oss:Delimiter'] = queryValue(request, 'delimiter') ?? '';
    }
    const rolePolicy = roleArn === undefined ? undefined : this.options.rolePolicies[roleArn];
    for (const { action, ec } of [{ action: ACTIONS[operation] }, ...additionalActions(operation, request)]) {
      const result = authorizeRequest({ rolePolicy, sessionPolicy }, { action, resource, context });
      if (!result.allowed) {
        throw accessDenied(`You have no right to access this ${bucketLevel ? 'bucket' : 'object'}.`, {
          Action: action,
          Resource: resource,
          EmulatorDecision: `role policy: ${result.role}; session policy: ${result.session}`,
        }, ec);
      }
    }
  }

  private execute(operation: Operation, request: OssRequest, store: BucketStore, body: Buffer): Reply {
    switch (operation) {
      case 'PutObject':
        return this.putObject(request, store, body);
      case 'GetObject':
        return this.getObject(request, store, true);
      case 'HeadObject':
        return this.getObject(request, store, false);
      case 'GetObjectMeta': {
        const object = this.existing(store, request.key);
        return { status: 200, headers: { ETag: object.etag, 'Content-Length': String(object.body.length), 'Last-Modified': new Date(object.lastModified).toUTCString() } };
      }
      case 'DeleteObject':
        store.objects.delete(request.key);
        return { status: 204 };
      case 'InitiateMultipartUpload':
        return this.initiate(request, store);
      case 'UploadPart':
        return this.uploadPart(request, store, body);
      case 'CompleteMultipartUpload':
        return this.complete(request, store, body);
      case 'AbortMultipartUpload':
        store.uploads.delete(this.upload(request, store).uploadId);
        return { status: 204 };
      case 'ListParts':
        return this.listParts(request, store);
      case 'ListObjects':
        return this.listObjects(request, store);
      case 'ListObjectsV2':
        return this.listObjectsV2(request, store);
    }
  }

  private existing(store: BucketStore, key: string): StoredObject {
    const object = store.objects.get(key);
    if (!object) throw noSuchKey(key);
    return object;
  }

  private putObject(request: OssRequest, store: BucketStore, body: Buffer): Reply {
    if (request.headers['x-oss-forbid-overwrite'] === 'true' && store.objects.has(request.key)) {
      throw new OssError(409, 'FileAlreadyExists', 'The object you specified already exists and can not be overwritten.', {}, '0016-00000708');
    }
    const etag = simpleEtag(body);
    store.objects.set(request.key, { body, etag, ...objectHeaders(request), lastModified: this.now(), type: 'Normal' });
    return { status: 200, headers: { ETag: etag, 'Content-MD5': md5(body).toString('base64') } };
  }

  private getObject(request: OssRequest, store: BucketStore, withBody: boolean): Reply {
    const object = this.existing(store, request.key);
    const headers: Record<string, string> = {
      'Content-Type': object.contentType ?? 'application/octet-stream',
      ETag: object.etag,
      'Last-Modified': new Date(object.lastModified).toUTCString(),
      'Accept-Ranges': 'bytes',
      'x-oss-object-type': object.type,
      'x-oss-storage-class': 'Standard',
      ...object.meta,
    };
    for (const [name, value] of Object.entries(object.headers)) headers[name] = value;
    if (withBody) {
      for (const [parameter, header] of Object.entries(RESPONSE_OVERRIDES)) {
        const value = queryValue(request, parameter);
        if (value !== undefined) headers[header] = value;
      }
      const range = parseRange(request.headers['range'], object.body.length);
      if (range) {
        const [start, end] = range;
        headers['Content-Range'] = `bytes ${start}-${end}/${object.body.length}`;
        return { status: 206, headers, body: object.body.subarray(start, end + 1) };
      }
      return { status: 200, headers, body: object.body };
    }
    headers['Content-Length'] = String(object.body.length);
    return { status: 200, headers };
  }

  private initiate(request: OssRequest, store: BucketStore): Reply {
    const uploadId = newUploadId();
    store.uploads.set(uploadId, { uploadId, key: request.key, initiated: this.now(), ...objectHeaders(request), parts: new Map() });
    return xmlReply('InitiateMultipartUploadResult', [
      ['Bucket', store.name],
      ['Key', request.key],
      ['UploadId', uploadId],
    ]);
  }

  private upload(request: OssRequest, store: BucketStore): Upload {
    const uploadId = queryValue(request, 'uploadId') ?? '';
    const upload = store.uploads.get(uploadId);
    if (!upload || upload.key !== request.key) throw noSuchUpload(uploadId);
    return upload;
  }

  private uploadPart(request: OssRequest, store: BucketStore, body: Buffer): Reply {
    const partNumber = integerParameter(request, 'partNumber', Number.NaN, 1, 10000);
    if (Number.isNaN(partNumber)) throw invalidArgument('Part number must be an integer between 1 and 10000, inclusive.', { ArgumentName: 'partNumber' });
    const upload = this.upload(request, store);
    const etag = simpleEtag(body);
    upload.parts.set(partNumber, { body, etag, lastModified: this.now() });
    return { status: 200, headers: { ETag: etag, 'Content-MD5': md5(body).toString('base64') } };
  }

  private complete(request: OssRequest, store: BucketStore, body: Buffer): Reply {
    const upload = this.upload(request, store);
    let chosen: Array<{ number: number; etag: string }>;
    if (request.headers['x-oss-complete-all'] === 'yes') {
      if (body.length > 0) throw invalidArgument('x-oss-complete-all cannot be used with a request body.');
      chosen = [...upload.parts.entries()].sort((a, b) => a[0] - b[0]).map(([number, part]) => ({ number, etag: part.etag }));
    } else {
      const xml = body.toString('utf8');
      if (!/<CompleteMultipartUpload>[\s\S]*<\/CompleteMultipartUpload>/.test(xml)) throw malformedXml();
      chosen = elementTexts(xml, 'Part').map((part) => {
        const number = elementTexts(part, 'PartNumber')[0]?.trim() ?? '';
        const etag = elementTexts(part, 'ETag')[0]?.trim() ?? '';
        if (!/^\d+$/.test(number) || etag === '') throw malformedXml();
        return { number: Number(number), etag: etag.replace(/&quot;/g, '"') };
      });
      if (chosen.length === 0) throw malformedXml();
    }
    const bodies: Buffer[] = [];
    const etags: string[] = [];
    chosen.forEach(({ number, etag }, index) => {
      const previous = chosen[index - 1];
      if (previous && number <= previous.number) {
        throw new OssError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', { UploadId: upload.uploadId });
      }
      const part = upload.parts.get(number);
      if (!part || part.etag.replace(/"/g, '').toUpperCase() !== etag.replace(/"/g, '').toUpperCase()) {
        throw new OssError(400, 'InvalidPart', "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.", {
          UploadId: upload.uploadId,
          PartNumber: String(number),
          ETag: etag,
        });
      }
      if (index < chosen.length - 1 && part.body.length < MIN_PART_BYTES) {
        throw new OssError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.', {
          MinSizeAllowed: String(MIN_PART_BYTES),
          ProposedSize: String(part.body.length),
          PartNumber: String(number),
        });
      }
      bodies.push(part.body);
      etags.push(part.etag);
    });
    const etag = multipartEtag(etags);
    store.objects.set(upload.key, {
      body: Buffer.concat(bodies),
      etag,
      ...(upload.contentType === undefined ? {} : { contentType: upload.contentType }),
      meta: upload.meta,
      headers: upload.headers,
      lastModified: this.now(),
      type: 'Multipart',
    });
    store.uploads.delete(upload.uploadId);
    return xmlReply(
      'CompleteMultipartUploadResult',
      [
        ['Location', `${this.url}/${store.name}/${upload.key}`],
        ['Bucket', store.name],
        ['Key', upload.key],
        ['ETag', etag],
      ],
      { ETag: etag },
    );
  }

  private listParts(request: OssRequest, store: BucketStore): Reply {
    const upload = this.upload(request, store);
    const maxParts = integerParameter(request, 'max-parts', 1000, 1, 1000);
    const marker = integerParameter(request, 'part-number-marker', 0, 0, 10000);
    const all = [...upload.parts.entries()].filter(([number]) => number > marker).sort((a, b) => a[0] - b[0]);
    const page = all.slice(0, maxParts);
    const truncated = all.length > page.length;
    return xmlReply('ListPartsResult', [
      ['Bucket', store.name],
      ['Key', upload.key],
      ['UploadId', upload.uploadId],
      ['PartNumberMarker', marker],
      ['NextPartNumberMarker', page[page.length - 1]?.[0] ?? marker],
      ['MaxParts', maxParts],
      ['IsTruncated', truncated],
      ...page.map(([number, part]): XmlNode => [
        'Part',
        [
          ['PartNumber', number],
          ['LastModified', isoMillis(part.lastModified)],
          ['ETag', part.etag],
          ['Size', part.body.length],
        ],
      ]),
    ]);
  }

  private contents(store: BucketStore, keys: readonly string[], encode: (text: string) => string, owner: string): XmlNode[] {
    return keys.map((key): XmlNode => {
      const object = store.objects.get(key);
      return [
        'Contents',
        [
          ['Key', encode(key)],
          ['LastModified', isoMillis(object?.lastModified ?? 0)],
          ['ETag', object?.etag ?? ''],
          ['Type', object?.type ?? 'Normal'],
          ['Size', object?.body.length ?? 0],
          ['StorageClass', 'Standard'],
          ['Owner', [['ID', owner], ['DisplayName', owner]]],
        ],
      ];
    });
  }

  private listCommon(request: OssRequest): { prefix: string; delimiter: string; maxKeys: number; encode: (text: string) => string; encodingType: string | undefined } {
    const encodingType = queryValue(request, 'encoding-type');
    if (encodingType !== undefined && encodingType !== 'url') {
      throw invalidArgument('The encoding-type must be url.', { ArgumentName: 'encoding-type', ArgumentValue: encodingType });
    }
    return {
      prefix: queryValue(request, 'prefix') ?? '',
      delimiter: queryValue(request, 'delimiter') ?? '',
      maxKeys: integerParameter(request, 'max-keys', 100, 1, 1000),
      encode: encodingType === 'url' ? (text) => encodeURIComponent(text) : (text) => text,
      encodingType,
    };
  }

  private listObjects(request: OssRequest, store: BucketStore): Reply {
    const { prefix, delimiter, maxKeys, encode, encodingType } = this.listCommon(request);
    const marker = queryValue(request, 'marker') ?? '';
    const page = listKeys(store.objects.keys(), { prefix, delimiter, maxKeys, after: marker });
    return xmlReply('ListBucketResult', [
      ['Name', store.name],
      ['Prefix', encode(prefix)],
      ['Marker', encode(marker)],
      ['MaxKeys', maxKeys],
      ['Delimiter', encode(delimiter)],
      ...(encodingType === undefined ? [] : [['EncodingType', encodingType] as XmlNode]),
      ['IsTruncated', page.isTruncated],
      ...(page.next === undefined ? [] : [['NextMarker', encode(page.next)] as XmlNode]),
      ...this.contents(store, page.keys, encode, this.ownerId()),
      ...page.commonPrefixes.map((commonPrefix): XmlNode => ['CommonPrefixes', [['Prefix', encode(commonPrefix)]]]),
    ]);
  }

  private listObjectsV2(request: OssRequest, store: BucketStore): Reply {
    const { prefix, delimiter, maxKeys, encode, encodingType } = this.listCommon(request);
    const startAfter = queryValue(request, 'start-after') ?? '';
    const token = queryValue(request, 'continuation-token');
    let after = startAfter;
    if (token !== undefined && token !== '') {
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      if (Buffer.from(decoded, 'utf8').toString('base64url') !== token) {
        throw invalidArgument('The continuation token provided is incorrect.', { ArgumentName: 'continuation-token', ArgumentValue: token });
      }
      if (decoded > after) after = decoded;
    }
    const page = listKeys(store.objects.keys(), { prefix, delimiter, maxKeys, after });
    const fetchOwner = queryValue(request, 'fetch-owner') === 'true';
    const contents = this.contents(store, page.keys, encode, this.ownerId()).map(([name, children]): XmlNode => [
      name,
      fetchOwner ? children : (children as readonly XmlNode[]).filter(([child]) => child !== 'Owner'),
    ]);
    return xmlReply('ListBucketResult', [
      ['Name', store.name],
      ['Prefix', encode(prefix)],
      ...(startAfter === '' ? [] : [['StartAfter', encode(startAfter)] as XmlNode]),
      ...(token === undefined ? [] : [['ContinuationToken', token] as XmlNode]),
      ['MaxKeys', maxKeys],
      ['Delimiter', encode(delimiter)],
      ...(encodingType === undefined ? [] : [['EncodingType', encodingType] as XmlNode]),
      ['IsTruncated', page.isTruncated],
      ...(page.next === undefined ? [] : [['NextContinuationToken', Buffer.from(page.next, 'utf8').toString('base64url')] as XmlNode]),
      ['KeyCount', page.keys.length + page.commonPrefixes.length],
      ...contents,
      ...page.commonPrefixes.map((commonPrefix): XmlNode => ['CommonPrefixes', [['Prefix', encode(commonPrefix)]]]),
    ]);
  }

  private ownerId(): string {
    return '1234567890123456';
  }

  private baseHeaders(requestId: string): Record<string, string> {
    return { Server: 'AliyunOSS', Date: new Date(this.now()).toUTCString(), 'x-oss-request-id': requestId };
  }

  private send(res: ServerResponse, method: string, requestId: string, reply: Reply, cors: Record<string, string> = {}): void {
    const body = reply.body === undefined ? undefined : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body, 'utf8');
    const headers: Record<string, string> = { ...this.baseHeaders(requestId), ...cors, ...reply.headers };
    if (body !== undefined) headers['Content-Length'] = String(body.length);
    else if (headers['Content-Length'] === undefined) headers['Content-Length'] = '0';
    res.writeHead(reply.status, headers);
    res.end(method === 'HEAD' ? undefined : body);
  }

  private sendError(res: ServerResponse, method: string, requestId: string, hostId: string, error: OssError, cors: Record<string, string> = {}): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/xml' };
    if (error.ec !== undefined) headers['x-oss-ec'] = error.ec;
    const body = method === 'HEAD' ? undefined : errorXml(error, requestId, hostId);
    this.send(res, method, requestId, { status: error.status, headers, ...(body === undefined ? {} : { body }) }, cors);
  }
}
