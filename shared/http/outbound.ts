/**
 * Outbound HTTP requests (to STS, to an identity provider's key set) over node:http or node:https.
 * Not `fetch`: Node loads its fetch implementation on first use, which costs a cold start tens of
 * milliseconds; node:http is already in the process. Connections are kept alive between
 * invocations of a warm instance.
 */
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** An HTTP answer: status, content type and body text. */
export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Thrown when the answer's body is larger than allowed. */
export class AnswerTooLarge extends Error {
  override readonly name = 'AnswerTooLarge';
}

const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };

/**
 * POSTs `body` as `application/x-www-form-urlencoded` to `url` and resolves with the answer.
 * `timeout` is in milliseconds, or a signal that gives the request up when it aborts (its reason
 * is what the call throws).
 *
 * @throws the network error, a `TimeoutError` DOMException when `timeout` passes first, or
 *   {@link AnswerTooLarge} when the body exceeds `maxBytes`.
 */
export function postForm(url: string, body: string, timeout: number | AbortSignal, maxBytes: number): Promise<HttpAnswer> {
  return send('POST', url, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)), Accept: 'application/json' }, body, timeout, maxBytes);
}

/** GETs `url` and resolves with the answer; throws as {@link postForm} does. */
export function getJson(url: string, timeoutMs: number, maxBytes: number): Promise<HttpAnswer> {
  return send('GET', url, { Accept: 'application/json' }, undefined, timeoutMs, maxBytes);
}

function send(method: string, url: string, headers: Record<string, string>, body: string | undefined, timeout: number | AbortSignal, maxBytes: number): Promise<HttpAnswer> {
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const signal = typeof timeout === 'number' ? AbortSignal.timeout(Math.max(1, timeout)) : timeout;
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => reject(signal.aborted ? signal.reason : error);
    const request = (secure ? httpsRequest : httpRequest)(target, { method, agent: agents[secure ? 'https:' : 'http:'], signal, headers }, (response) =>
      readAnswer(response, maxBytes).then(resolve, fail),
    );
    request.on('error', fail);
    request.end(body);
  });
}

function readAnswer(response: IncomingMessage, maxBytes: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const declared = Number(response.headers['content-length'] ?? '0');
    if (declared > maxBytes) {
      response.destroy();
      reject(new AnswerTooLarge('the answer is too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        response.destroy();
        reject(new AnswerTooLarge('the answer is too large'));
        return;
      }
      chunks.push(chunk);
    });
    response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') }));
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('the answer was cut off')));
  });
}
