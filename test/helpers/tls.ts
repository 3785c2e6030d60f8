/** A self-signed certificate for 127.0.0.1, for HTTPS servers in tests. */
import { generate } from 'selfsigned';

/** Makes a key and a self-signed certificate valid for the IP address 127.0.0.1. */
export async function loopbackCertificate(): Promise<{ key: string; cert: string }> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { key: pems.private, cert: pems.cert };
}
