/**
 * The sealed form of credentials that session tickets and the shared cache store: whatever text
 * it is given, opening never throws and never yields credentials but those sealed under the same
 * key for the same associated data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCredentials, sealCredentials } from '../../shared/sts/sealed-credentials';
import type { StsCredentials } from '../../shared/sts/sts-client';
import { oftenBe } from '../helpers/often';

const KEY = Buffer.alloc(32, 3);
const CREDENTIALS: StsCredentials = { accessKeyId: 'STS.alice', accessKeySecret: 'secret', securityToken: 'token', expiration: new Date('2026-12-02T12:00:00Z') };
const ALICE = Buffer.from('entry alice');
const sealed = sealCredentials(KEY, CREDENTIALS, ALICE);

describe('sealed credentials', () => {
  it('open with the same key and associated data, and only then', () => {
    expect(openCredentials(KEY, sealed, ALICE)).toEqual(CREDENTIALS);
    expect(openCredentials(KEY, sealed, Buffer.from('entry bob'))).toBeUndefined();
    expect(openCredentials(Buffer.alloc(32, 4), sealed, ALICE)).toBeUndefined();
  });

  it('random texts and bytes never throw and never open (10,000 runs)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('base64url'))), (text) => {
        oftenBe(openCredentials(KEY, text, ALICE), undefined);
      }),
      { numRuns: 10_000 },
    );
  });

  it('a sealed entry with any byte changed, cut or extended never opens, and never for another binding (10,000 runs)', () => {
    const bytes = Buffer.from(sealed, 'base64url');
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(bytes.length + 8), fc.string({ maxLength: 20 }), (at, flip, cut, other) => {
        const changed = Buffer.from(bytes);
        changed[at] = (changed[at] as number) ^ flip;
        oftenBe(openCredentials(KEY, changed.toString('base64url'), ALICE), undefined);
        const resized = cut < bytes.length ? bytes.subarray(0, cut) : Buffer.concat([bytes, Buffer.alloc(cut - bytes.length + 1)]);
        oftenBe(openCredentials(KEY, resized.toString('base64url'), ALICE), undefined);
        if (other !== 'entry alice') oftenBe(openCredentials(KEY, sealed, Buffer.from(other)), undefined);
      }),
      { numRuns: 10_000 },
    );
  });
});
