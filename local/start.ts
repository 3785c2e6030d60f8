/**
 * `npm start`: runs the sandbox on http://127.0.0.1:9000 (PORT to change it) and prints a command
 * that fetches credentials, ready to paste. Its bucket accepts only V4 signatures, like a bucket created
 * today; `npm start -- --legacy-v1` (or SANDBOX_LEGACY_V1=1) makes it a legacy bucket that also accepts V1.
 */
import { startSandbox } from './sandbox';

const port = Number(process.env['PORT'] ?? 9000);
const sandbox = await startSandbox({ port, ...(process.argv.includes('--legacy-v1') ? { legacyV1: true } : {}) });
const token = await sandbox.issuer.issue('alice', 12 * 3600);
const mode = sandbox.sts ? `STS emulator at ${sandbox.sts.url}, OSS emulator at ${sandbox.oss?.url}` : 'real STS (credentials from ALIBABA_CLOUD_* variables)';

console.log(`oss-tvm sandbox listening on ${sandbox.url} (${mode})`);
console.log(`  vend-token:   ${sandbox.functionUrls['vend-token']}`);
console.log(`  sign-request: ${sandbox.functionUrls['sign-request']}`);
console.log(`  bucket ${sandbox.settings['TVM_BUCKET']}: ${sandbox.legacyV1 ? 'legacy, accepts V1 and V4 signatures' : 'accepts only V4 signatures, like a bucket created today (--legacy-v1 for one that also accepts V1)'}`);
console.log(`  demo identity provider: ${sandbox.url}/issuer (token for any user: ${sandbox.url}/issuer/token?sub=<user>)`);
console.log(`  demo page:    ${sandbox.demoUrl} (upload from a browser with ali-oss or a PostObject form)`);
console.log('');
console.log('Fetch credentials for the demo user "alice" (paste this into another terminal):');
console.log('');
console.log(`curl -s -H 'Authorization: Bearer ${token}' '${sandbox.functionUrls['vend-token']}'`);
console.log('');
console.log(`Sign an upload of users/alice/hello.txt in V1 self-signing mode (the reply is the Authorization header; OSS accepts V1 only on a legacy bucket: ${sandbox.legacyV1 ? 'this one is' : 'restart with npm start -- --legacy-v1 to send it'}):`);
console.log('');
console.log(`curl -s -i -H 'Authorization: Bearer ${token}' -H 'Content-Type: text/plain' --data-binary "$(printf 'PUT\\n\\ntext/plain\\n%s\\n/${sandbox.settings['TVM_BUCKET']}/users/alice/hello.txt' "$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')")" '${sandbox.functionUrls['sign-request']}'`);
console.log('');
console.log('Request logs follow. Press Ctrl+C to stop.');

const stop = (): void => {
  void sandbox.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
