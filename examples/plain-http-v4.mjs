#!/usr/bin/env node
// Uploads a file to OSS with a V4 signature from oss-tvm's sign-request, using nothing but fetch
// (Node.js 18 or later; the same steps work in a browser or any HTTP client):
//   1. GET  <sign-request>/             -> the signing session: AccessKeyId, SecurityToken, Region, Bucket, Endpoint, Prefix, ServerTime, SessionTicket
//   2. build the V4 canonical request of the upload with that AccessKeyId's token
//   3. POST <sign-request>/ {"version":"v4","canonicalRequest": ...} with the session's ticket -> Authorization
//   4. PUT the file to OSS with exactly the headers of step 2 and that Authorization
//
// Usage: TVM_JWT=<the user's token> node examples/plain-http-v4.mjs <sign-request URL> <file> [name]
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

const [signRequestUrl, file, name = basename(file ?? '')] = process.argv.slice(2);
const jwt = process.env.TVM_JWT;
if (!signRequestUrl || !file || !jwt) {
  console.error('Usage: TVM_JWT=<token> node examples/plain-http-v4.mjs <sign-request URL> <file> [name]');
  process.exit(2);
}

/** sign-request's JSON, or an error naming its ErrorCode. */
async function call(init) {
  const response = await fetch(signRequestUrl, { ...init, headers: { Authorization: `Bearer ${jwt}`, ...init.headers } });
  const body = await response.json();
  if (body.StatusCode !== 200) throw new Error(`sign-request ${response.status} ${body.ErrorCode}: ${body.ErrorMessage}`);
  return body;
}

/** RFC 3986 percent-encoding, as V4 wants it: every byte but A-Z a-z 0-9 - _ . ~ (and "/" in paths). */
function uriEncode(text, keepSlash) {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/') ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

// 1. The signing session. Its ServerTime protects against a wrong local clock.
const session = await call({ method: 'GET' });
const skew = Date.parse(session.ServerTime) - Date.now();
const timestamp = new Date(Date.now() + skew).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''); // yyyyMMddTHHmmssZ

// 2. The request and its canonical form: verb, URI, query, signed headers (sorted), additional headers, payload hash.
const key = `${session.Prefix}${name}`;
const body = await readFile(file);
const headers = {
  'content-type': 'application/octet-stream',
  'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
  'x-oss-date': timestamp,
  'x-oss-security-token': session.SecurityToken,
};
const canonicalRequest = [
  'PUT',
  uriEncode(`/${session.Bucket}/${key}`, true),
  '',
  ...Object.keys(headers).sort().map((header) => `${header}:${headers[header]}`),
  '',
  '',
  'UNSIGNED-PAYLOAD',
].join('\n');

// 3. The signature.
// The ticket lets whichever function instance answers sign with this session's credentials.
const signed = await call({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...(session.SessionTicket ? { 'x-tvm-session-ticket': session.SessionTicket } : {}) },
  body: JSON.stringify({ version: 'v4', canonicalRequest }),
});

// 4. The upload. OSS endpoints take the bucket as a host name; an IP address or localhost (the sandbox) in the path.
const endpoint = new URL(session.Endpoint);
const pathStyle = /^(\d+\.){3}\d+$|^localhost$|^\[/.test(endpoint.hostname);
const url = pathStyle
  ? `${endpoint.origin}/${session.Bucket}/${uriEncode(key, true)}`
  : `${endpoint.protocol}//${session.Bucket}.${endpoint.host}/${uriEncode(key, true)}`;
const response = await fetch(url, { method: 'PUT', headers: { ...headers, Authorization: signed.Authorization }, body });
if (!response.ok) {
  console.error(`OSS answered ${response.status}: ${await response.text()}`);
  process.exit(1);
}
console.log(`uploaded ${body.length} bytes to ${key} (ETag ${response.headers.get('etag')})`);
