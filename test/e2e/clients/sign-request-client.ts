/**
 * sign-request as a V4 client calls it over HTTP: the signing session (`GET /`), hash-only signing of a
 * RemoteSignerV4 map and canonical-request signing (`POST /`, JSON). Answers are returned as they come:
 * the tests judge them.
 */
import { type PreparedV4, type RemoteSignerV4Info, type V4Identity, type V4Request, prepareHeaderAuth, preparePresigned, remoteSignerV4Info, withAuthorization, withQuerySignature } from './oss-v4-client';

/** A JSON answer of sign-request: its status, headers and body. */
export interface SignRequestAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** The signing session's answer, read. */
export interface SigningSession {
  readonly accessKeyId: string;
  readonly securityToken: string;
  readonly region: string;
  readonly bucket: string;
  readonly endpoint: string;
  readonly prefix: string;
  readonly serverTime: number;
  /** `SessionTicket` (scoped mode): sent back in `x-tvm-session-ticket` with every signature request of the session. */
  readonly ticket?: string;
}

async function answerOf(response: Response): Promise<SignRequestAnswer> {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, headers: response.headers, body };
}

/** `GET /` with the bearer token: the signing session, as answered. */
export async function requestSession(url: string, bearer: string): Promise<SignRequestAnswer> {
  return answerOf(await fetch(url, { headers: { Authorization: `Bearer ${bearer}` } }));
}

/** The signing session; fails the caller's test through a thrown error when it is refused. */
export async function openSession(url: string, bearer: string): Promise<SigningSession> {
  const { status, body } = await requestSession(url, bearer);
  if (status !== 200) throw new Error(`signing session refused: HTTP ${status} ${JSON.stringify(body)}`);
  const text = (name: string): string => String(body[name] ?? '');
  return {
    accessKeyId: text('AccessKeyId'),
    securityToken: text('SecurityToken'),
    region: text('Region'),
    bucket: text('Bucket'),
    endpoint: text('Endpoint'),
    prefix: text('Prefix'),
    serverTime: Date.parse(text('ServerTime')),
    ...(body['SessionTicket'] === undefined ? {} : { ticket: text('SessionTicket') }),
  };
}

/**
 * `POST /` with a JSON body (a RemoteSignerV4 map, a canonical request…), as answered; with the
 * session's ticket in `x-tvm-session-ticket` when there is one.
 */
export async function postJson(url: string, bearer: string, body: unknown, session?: Pick<SigningSession, 'ticket'>): Promise<SignRequestAnswer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' };
  if (session?.ticket !== undefined) headers['x-tvm-session-ticket'] = session.ticket;
  return answerOf(await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }));
}

/** The identity a session signs as. */
export function identityOf(session: SigningSession): V4Identity {
  return { accessKeyId: session.accessKeyId, securityToken: session.securityToken, region: session.region };
}

/**
 * A RemoteSignerV4-style client: builds `request` with the session's AccessKeyId and token, hands
 * sign-request the SDK's map (what a `SignatureDelegate` forwards) and attaches the signature it returns.
 *
 * @throws Error when sign-request refuses.
 */
export async function signHashOnly(url: string, bearer: string, session: SigningSession, request: V4Request, now = new Date()): Promise<{ signed: V4Request; prepared: PreparedV4; info: RemoteSignerV4Info; signature: string }> {
  const identity = identityOf(session);
  const prepared = prepareHeaderAuth(request, identity, now);
  const info = remoteSignerV4Info(prepared, identity);
  const answer = await postJson(url, bearer, info, session);
  if (answer.status !== 200) throw new Error(`hash-only signing refused: HTTP ${answer.status} ${String(answer.body['ErrorCode'])}`);
  const signature = String(answer.body['signature']);
  return { signed: withAuthorization(prepared, session.accessKeyId, signature), prepared, info, signature };
}

/**
 * A canonical-request client: builds `request` with the session's AccessKeyId and token (header
 * authentication, or a presigned URL when `presignSeconds` is given), sends sign-request the canonical
 * request and attaches the signature it returns.
 *
 * @throws Error when sign-request refuses.
 */
export async function signCanonical(
  url: string,
  bearer: string,
  session: SigningSession,
  request: V4Request,
  options: { now?: Date; presignSeconds?: number } = {},
): Promise<{ signed: V4Request; prepared: PreparedV4; answer: SignRequestAnswer }> {
  const identity = identityOf(session);
  const now = options.now ?? new Date();
  const prepared = options.presignSeconds === undefined ? prepareHeaderAuth(request, identity, now) : preparePresigned(request, identity, now, options.presignSeconds);
  const answer = await postJson(url, bearer, { version: 'v4', canonicalRequest: prepared.canonicalRequest }, session);
  if (answer.status !== 200) throw new Error(`canonical-request signing refused: HTTP ${answer.status} ${String(answer.body['ErrorCode'])}`);
  const signature = String(answer.body['signature']);
  const signed = options.presignSeconds === undefined ? withAuthorization(prepared, session.accessKeyId, signature) : withQuerySignature(prepared, signature);
  return { signed, prepared, answer };
}
