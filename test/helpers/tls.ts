/** A self-signed certificate for 127.0.0.1, for HTTPS servers in tests. */
import { generate } from 'selfsigned';

let certificateOfThisProcess: Promise<{ key: string; cert: string }> | undefined;

/**
 * A key and a self-signed certificate valid for the IP address 127.0.0.1: made the first time a
 * file of this process asks (a 2048-bit RSA key costs 100 to 300 ms of CPU), the same afterwards.
 */
export function loopbackCertificate(): Promise<{ key: string; cert: string }> {
  certificateOfThisProcess ??= generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return certificateOfThisProcess;
}
