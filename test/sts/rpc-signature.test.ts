import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizedQuery, percentEncode, rpcSignature, rpcStringToSign } from '../../shared/sts/rpc-signature';
import { oftenBe, oftenMatch } from '../helpers/often';

describe('rpcSignature', () => {
  it('reproduces the published example of the RPC signature documentation', () => {
    // Prepare: the ECS DescribeRegions example, AccessKeyId testid / AccessKeySecret testsecret.
    const parameters = {
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      Format: 'XML',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      SignatureVersion: '1.0',
      Timestamp: '2016-02-23T12:46:24Z',
      Version: '2014-05-26',
    };
    // Act
    const signature = rpcSignature('GET', parameters, 'testsecret');
    // Assess
    expect(signature).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  });

  it('builds the documented string to sign for that example', () => {
    const stringToSign = rpcStringToSign('GET', { Version: '2014-05-26', Action: 'DescribeRegions', AccessKeyId: 'testid' });
    expect(stringToSign).toBe('GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Version%3D2014-05-26');
  });

  it('ignores an existing Signature parameter, so a re-signed request is signed the same way', () => {
    const parameters = { Action: 'AssumeRole', Policy: '{"a":"*"}' };
    expect(rpcSignature('POST', { ...parameters, Signature: 'stale' }, 's')).toBe(rpcSignature('POST', parameters, 's'));
  });
});

describe('percentEncode', () => {
  it.each([
    [' ', '%20'],
    ['*', '%2A'],
    ['~', '~'],
    ["!'()", '%21%27%28%29'],
    ['a+b/c=d&e', 'a%2Bb%2Fc%3Dd%26e'],
    ['é', '%C3%A9'],
    ['-_.', '-_.'],
  ])('encodes %j as %s', (input, expected) => {
    expect(percentEncode(input)).toBe(expected);
  });

  it('leaves only unreserved characters and %XX escapes, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (value) => {
        const encoded = percentEncode(value);
        oftenMatch(encoded, /^([A-Za-z0-9\-_.~]|%[0-9A-F]{2})*$/);
        oftenBe(decodeURIComponent(encoded), value);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('canonicalizedQuery', () => {
  it('sorts parameters by name and encodes names and values', () => {
    expect(canonicalizedQuery({ b: '2', a: 'x y', Signature: 'ignored', B: '*' })).toBe('B=%2A&a=x%20y&b=2');
  });
});
