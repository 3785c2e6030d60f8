/** Reading an RPC request's parameters (query and form body) and checking them as STS does. */
import type { IncomingMessage } from 'node:http';
import { MAX_BODY_BYTES, StsRefusal, actionNotFound, bodyTooLarge } from './errors';

/** Request parameters by name: the query, overlaid by the form body of a POST. */
export type Parameters = ReadonlyMap<string, string>;

export const DEFAULT_SESSION_DURATION = 3600;
export const MIN_SESSION_DURATION = 900;

const COMMON_PARAMETERS = [
  'Format',
  'Version',
  'AccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
  'Signature',
] as const;
const ROLE_SESSION_NAME = /^[A-Za-z0-9.@_-]{2,64}$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?Z$/;

export async function readParameters(req: IncomingMessage): Promise<Parameters> {
  if (req.method !== 'GET' && req.method !== 'POST') {
    throw new StsRefusal(405, 'UnsupportedHTTPMethod', 'This http method is not supported.');
  }
  const url = parseRequestUrl(req.url);
  if (url?.pathname !== '/') throw actionNotFound();
  const parameters = new Map(url.searchParams);
  if (req.method === 'POST') {
    const body = await readBody(req);
    if (isFormContentType(req.headers['content-type'])) {
      for (const [name, value] of new URLSearchParams(body)) parameters.set(name, value);
    }
  }
  return parameters;
}

function parseRequestUrl(path: string | undefined): URL | undefined {
  try {
    return new URL(path ?? '/', 'http://sts.emulator.invalid');
  } catch {
    return undefined;
  }
}

function isFormContentType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      reject(bodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        reject(bodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('close', () => reject(new StsRefusal(400, 'IncompleteRequest', 'The request body was not received.')));
  });
}

export function requireCommonParameters(parameters: Parameters): void {
  for (const name of COMMON_PARAMETERS) requireParameter(parameters, name);
}

export function requireParameter(parameters: Parameters, name: string): string {
  const value = parameters.get(name);
  if (!value) {
    throw new StsRefusal(
      400,
      'MissingParameter',
      `The input parameter "${name}" that is mandatory for processing this request is not supplied.`,
    );
  }
  return value;
}

export function valueOf(parameters: Parameters, name: string): string {
  return parameters.get(name) ?? '';
}

export function requireValue(
  parameters: Parameters,
  name: string,
  expected: string,
  code: string,
  message = `The specified parameter "${name}" is not valid.`,
): void {
  if (parameters.get(name) !== expected) throw new StsRefusal(400, code, message);
}

export function requireAction(parameters: Parameters, action: string): void {
  if (requireParameter(parameters, 'Action') !== action) throw actionNotFound();
}

export function requireRoleSessionName(parameters: Parameters): string {
  const name = requireParameter(parameters, 'RoleSessionName');
  if (!ROLE_SESSION_NAME.test(name)) {
    throw new StsRefusal(400, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed.');
  }
  return name;
}

export function requireDuration(parameters: Parameters, maxSessionDuration: number): number {
  const text = parameters.get('DurationSeconds') || String(DEFAULT_SESSION_DURATION);
  const seconds = /^[0-9]{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!isIntegerIn(seconds, MIN_SESSION_DURATION, maxSessionDuration)) {
    throw new StsRefusal(
      400,
      'InvalidParameter.DurationSeconds',
      `The Min/Max value of DurationSeconds is 15min/${describeSeconds(maxSessionDuration)}.`,
    );
  }
  return seconds;
}

function describeSeconds(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600}hr` : `${seconds}s`;
}

/** Parses `yyyy-MM-ddTHH:mm:ssZ` or `yyyy-MM-ddTHH:mm:ss.SSSZ`; undefined when malformed or not a real date. */
export function parseTimestamp(text: string): number | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [year, month, day, hours, minutes, seconds] = match.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ];
  const timeMs = Date.UTC(year, month - 1, day, hours, minutes, seconds, Number(match[7] ?? 0));
  const date = new Date(timeMs);
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hours &&
    date.getUTCMinutes() === minutes &&
    date.getUTCSeconds() === seconds;
  return roundTrips ? timeMs : undefined;
}

export function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}
