/** Checking an RPC request's signature (shared/sts/rpc-signature) in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { rpcSignature } from '../../shared/sts/rpc-signature';
import { StsRefusal } from './errors';
import { type Parameters, valueOf } from './parameters';

export function requireSignature(method: 'GET' | 'POST', parameters: Parameters, accessKeySecret: string): void {
  const expected = rpcSignature(method, Object.fromEntries(parameters), accessKeySecret);
  if (!constantTimeEqual(valueOf(parameters, 'Signature'), expected)) {
    throw new StsRefusal(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.');
  }
}

export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
