/**
 * Session tickets: sealed credentials that only the functions' key opens, and only for the caller,
 * scope and policy they were sealed for. The opener reads untrusted input, so it is fuzzed: no
 * string but an unaltered ticket opens, and nothing makes it throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TicketBinding, openSessionTicket, sealSessionTicket } from '../../shared/signing/session-ticket';
import type { StsCredentials } from '../../shared/sts/sts-client';
import { oftenBe } from '../helpers/often';

const KEY = Buffer.alloc(32, 1);
const CREDENTIALS: StsCredentials = { accessKeyId: 'STS.ticket-test-id', accessKeySecret: 'ticket-test-secret-0123456789', securityToken: 'CAIS-ticket-test-token', expiration: new Date('2026-12-02T10:00:00Z') };
const ALICE: TicketBinding = { identity: 'alice', scope: 'user', policy: '{"Version":"1","Statement":[]}' };

describe('session tickets', () => {
  it('open with the same key and binding to exactly the credentials sealed', () => {
    const ticket = sealSessionTicket(KEY, CREDENTIALS, ALICE);

    expect(openSessionTicket(KEY, ticket, ALICE)).toEqual(CREDENTIALS);
  });

  it('hold nothing readable: neither the secret, the token nor the AccessKeyId appear in the ticket', () => {
    const ticket = sealSessionTicket(KEY, CREDENTIALS, ALICE);
    const decoded = Buffer.from(ticket.slice(3), 'base64url').toString('latin1');

    for (const part of [CREDENTIALS.accessKeySecret, CREDENTIALS.securityToken, CREDENTIALS.accessKeyId]) {
      expect(ticket).not.toContain(part);
      expect(decoded).not.toContain(part);
    }
  });

  it('differ each time the same credentials are sealed (a fresh nonce each time)', () => {
    expect(sealSessionTicket(KEY, CREDENTIALS, ALICE)).not.toBe(sealSessionTicket(KEY, CREDENTIALS, ALICE));
  });

  it.each<[string, TicketBinding]>([
    ['another identity', { ...ALICE, identity: 'alicf' }],
    ['another scope', { ...ALICE, scope: 'shared' }],
    ['another session policy', { ...ALICE, policy: '{"Version":"1","Statement":[{}]}' }],
  ])('do not open for %s', (_case, binding) => {
    expect(openSessionTicket(KEY, sealSessionTicket(KEY, CREDENTIALS, ALICE), binding)).toBeUndefined();
  });

  it('do not open under another key', () => {
    expect(openSessionTicket(Buffer.alloc(32, 2), sealSessionTicket(KEY, CREDENTIALS, ALICE), ALICE)).toBeUndefined();
  });

  it('never open when any character is changed, removed or added, and never throw (10,000 runs)', () => {
    const ticket = sealSessionTicket(KEY, CREDENTIALS, ALICE);
    const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ '.split(''));
    const mutated = fc.oneof(
      fc.tuple(fc.nat({ max: ticket.length - 1 }), alphabet).map(([at, c]) => `${ticket.slice(0, at)}${c}${ticket.slice(at + 1)}`),
      fc.nat({ max: ticket.length - 1 }).map((at) => `${ticket.slice(0, at)}${ticket.slice(at + 1)}`),
      fc.tuple(fc.nat({ max: ticket.length }), alphabet).map(([at, c]) => `${ticket.slice(0, at)}${c}${ticket.slice(at)}`),
    );
    fc.assert(
      fc.property(mutated, (candidate) => {
        const opened = openSessionTicket(KEY, candidate, ALICE);
        return candidate === ticket ? opened !== undefined : opened === undefined;
      }),
      { numRuns: 10_000 },
    );
  });

  it('open no arbitrary string, however long or shaped, and never throw (10,000 runs)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 300 }).map((text) => `t1.${text}`), fc.uint8Array({ maxLength: 200 }).map((bytes) => `t1.${Buffer.from(bytes).toString('base64url')}`)), (candidate) => {
        oftenBe(openSessionTicket(KEY, candidate, ALICE), undefined);
      }),
      { numRuns: 10_000 },
    );
  });
});
