/**
 * What `npm start` prints: where everything is and commands ready to paste when the sandbox can
 * serve, or, when its configuration cannot work, what is wrong and no command at all.
 */
import type { Sandbox } from './sandbox';

/** The key the banner's examples sign an upload of, under the demo user's prefix. */
export const EXAMPLE_KEY = 'users/alice/hello.txt';

/**
 * The banner of a sandbox that can serve: its addresses, then a command that fetches credentials,
 * one that uploads a file with a V4 signature from sign-request, and a V1 block that has
 * sign-request sign an upload and sends it to OSS with that signature (legacy buckets only).
 *
 * @param token a demo token for the user `alice`.
 */
export function readyBanner(sandbox: Sandbox, token: string): string {
  const bucket = sandbox.settings['TVM_BUCKET'] ?? '';
  const mode = sandbox.sts ? `STS emulator at ${sandbox.sts.url}, OSS emulator at ${sandbox.oss?.url}` : 'real STS (credentials from ALIBABA_CLOUD_* variables)';
  const objectUrl = sandbox.oss ? `${sandbox.oss.url}/${bucket}/${EXAMPLE_KEY}` : `https://${bucket}.oss-${sandbox.settings['TVM_REGION']}.aliyuncs.com/${EXAMPLE_KEY}`;
  return [
    `oss-tvm sandbox listening on ${sandbox.url} (${mode})`,
    `  vend-token:   ${sandbox.functionUrls['vend-token']}`,
    `  sign-request: ${sandbox.functionUrls['sign-request']}`,
    ...(sandbox.oss
      ? [
          `  bucket ${bucket}: ${sandbox.legacyV1 ? 'legacy, accepts V1 and V4 signatures' : 'accepts only V4 signatures, like a bucket created today (--legacy-v1 for one that also accepts V1)'}`,
          `  OSS emulator objects, path style: ${sandbox.oss.url}/<bucket>/<key>`,
        ]
      : []),
    `  demo identity provider: ${sandbox.url}/issuer (token for any user: ${sandbox.url}/issuer/token?sub=<user>[&ttl=<seconds>]; the functions verify with ${sandbox.verifiedWith})`,
    `  health: ${sandbox.url}/health`,
    `  demo page: ${sandbox.demoUrl} (upload from a browser with ali-oss or a PostObject form)`,
    '',
    'Fetch credentials for the demo user "alice" (paste this into another terminal):',
    '',
    `curl -s -H 'Authorization: Bearer ${token}' '${sandbox.functionUrls['vend-token']}'`,
    '',
    'Upload a file with a V4 signature from sign-request, as any HTTP client can (a signing session, then the',
    'request\'s canonical form signed; README, "Plain HTTP: V4 canonical request"). OSS accepts it on every bucket:',
    '',
    v4UploadLine(sandbox.functionUrls['sign-request'] ?? '', token),
    '',
    `Sign an upload of ${EXAMPLE_KEY} in V1 self-signing mode, then send it to OSS with the signature and`,
    'security token sign-request returns (paste the three lines into bash or zsh; OSS accepts V1 only on a legacy',
    `bucket: ${legacyNote(sandbox)}):`,
    '',
    ...signAndPutBlock(sandbox.functionUrls['sign-request'] ?? '', token, bucket, objectUrl),
    '',
    'Request logs follow. Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

/** The plain-HTTP V4 recipe run on the project's own package.json, which lands at users/alice/package.json. */
function v4UploadLine(signRequestUrl: string, token: string): string {
  return `TVM_JWT='${token}' node examples/plain-http-v4.mjs '${signRequestUrl}' package.json`;
}

/**
 * Three shell lines: the date, sign-request's reply (the Authorization value, then the token from
 * its `x-oss-security-token` header, read with curl's `%header{}`), and the PUT to OSS that uses both.
 */
function signAndPutBlock(signRequestUrl: string, token: string, bucket: string, objectUrl: string): string[] {
  return [
    `d="$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')"`,
    `reply="$(curl -s -w '\\n%header{x-oss-security-token}' -H 'Authorization: Bearer ${token}' -H 'Content-Type: text/plain' --data-binary "$(printf 'PUT\\n\\ntext/plain\\n%s\\n/${bucket}/${EXAMPLE_KEY}' "$d")" '${signRequestUrl}')"`,
    `curl -s -i -X PUT -H "Date: $d" -H 'Content-Type: text/plain' -H "Authorization: $(printf '%s\\n' "$reply" | head -n 1)" -H "x-oss-security-token: $(printf '%s\\n' "$reply" | tail -n 1)" --data-binary 'hello from alice' '${objectUrl}'`,
  ];
}

/** Whether OSS will take the V1 example: the sandbox bucket says so; a real bucket only if created before 2025-09-01. */
function legacyNote(sandbox: Sandbox): string {
  if (!sandbox.oss) return 'one created before 2025-09-01; a newer one answers 403 AccessDenied, EC 0002-00000080';
  return sandbox.legacyV1 ? 'this one is' : 'restart with npm start -- --legacy-v1 to see 200, this V4-only one answers 403 AccessDenied, EC 0002-00000080';
}

/** The banner of a sandbox whose configuration cannot work: each problem, and what to do. */
export function notReadyBanner(problems: readonly string[]): string {
  return [
    'oss-tvm sandbox NOT started: the functions would refuse this configuration.',
    ...problems.map((problem) => `  - ${problem}`),
    'Fix or unset these settings, then run npm start again (README, "Configuration" and "Quick start").',
    '',
  ].join('\n');
}
