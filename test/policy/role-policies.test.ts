import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../shared/policy/evaluate-policy';
import { appRolePermissionPolicy, appRoleTrustPolicy, functionRolePermissionPolicy, functionRoleTrustPolicy } from '../../shared/policy/role-policies';
import type { ScopeAction, ScopeConfiguration } from '../../shared/policy/scopes';
import { buildSessionPolicy } from '../../shared/policy/session-policy';
import { ramPolicies } from '../../scripts/ram-policies';
import { oftenBe } from '../helpers/often';

const SCOPES: ScopeConfiguration = {
  user: { prefix: 'users/${sub}/', actions: ['read', 'write', 'delete'] },
  uploads: { prefix: 'tenants/${sub}/uploads/', actions: ['write'] },
  shared: { prefix: 'shared/', actions: ['read'] },
};
const ACTION_OF: Record<Exclude<ScopeAction, 'list'>, string[]> = {
  read: ['oss:GetObject'],
  write: ['oss:PutObject', 'oss:AbortMultipartUpload', 'oss:ListParts'],
  delete: ['oss:DeleteObject'],
};
const object = (key: string) => `acs:oss:*:*:photos/${key}`;

describe('appRolePermissionPolicy', () => {
  const policy = appRolePermissionPolicy(SCOPES, 'photos', 'sub');

  it('allows everything any session policy of the scopes allows, so the intersection never takes away a grant', () => {
    const identity = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._@|-]{0,20}$/).filter((value) => !value.includes('..'));
    fc.assert(
      fc.property(identity, fc.constantFrom(...Object.keys(SCOPES)), fc.string({ maxLength: 20 }), (sub, scopeName, rest) => {
        const scope = SCOPES[scopeName];
        if (scope === undefined) return;
        const session = buildSessionPolicy({ bucket: 'photos', scope, identity: sub, identityClaim: 'sub' });
        for (const action of scope.actions.flatMap((granted) => (granted === 'list' ? [] : ACTION_OF[granted]))) {
          const resource = object(`${session.prefix}${rest}`);
          oftenBe(evaluatePolicy(session.document, action, resource), 'allow');
          oftenBe(evaluatePolicy(policy, action, resource), 'allow');
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('grants nothing outside the scopes’ prefixes, and no action no scope grants', () => {
    expect(evaluatePolicy(policy, 'oss:GetObject', object('secret.txt'))).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'oss:PutObject', object('shared/a.txt'))).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'oss:DeleteObject', object('tenants/t1/uploads/a'))).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'oss:PutObjectAcl', object('users/alice/a'))).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'oss:ListObjects', 'acs:oss:*:*:photos')).toBe('implicit-deny');
    expect(evaluatePolicy(policy, 'oss:GetObject', 'acs:oss:*:*:other/users/alice/a')).toBe('implicit-deny');
  });

  it('grants listing only under the prefixes of scopes with list', () => {
    const listing = appRolePermissionPolicy({ user: { prefix: 'users/${sub}/', actions: ['read', 'list'] } }, 'photos', 'sub');
    expect(listing.Statement).toContainEqual({ Effect: 'Allow', Action: ['oss:ListObjects'], Resource: ['acs:oss:*:*:photos'], Condition: { StringLike: { 'oss:Prefix': ['users/*/*'] } } });
  });
});

describe('role trust and permission policies', () => {
  it('lets Function Compute assume the function role, which may only assume the app role, which only it may assume', () => {
    expect(functionRoleTrustPolicy().Statement).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: ['fc.aliyuncs.com'] } }]);
    expect(functionRolePermissionPolicy('acs:ram::1:role/app')).toEqual({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: ['acs:ram::1:role/app'] }] });
    expect(appRoleTrustPolicy('acs:ram::1:role/fn').Statement[0]?.Principal).toEqual({ RAM: ['acs:ram::1:role/fn'] });
  });
});

describe('npm run ram-policies', () => {
  it('prints the four documents for the configured bucket and scopes', () => {
    const documents = ramPolicies({ TVM_BUCKET: 'photos', TVM_ROLE_ARN: 'acs:ram::1:role/app', TVM_FUNCTION_ROLE_ARN: 'acs:ram::1:role/fn' });
    expect(documents.map((entry) => entry.title)).toHaveLength(4);
    expect(JSON.stringify(documents[3]?.document)).toContain('acs:oss:*:*:photos/users/*/*');
  });

  it('refuses a missing bucket and a scope configuration the functions would refuse', () => {
    expect(() => ramPolicies({})).toThrow(/TVM_BUCKET/);
    expect(() => ramPolicies({ TVM_BUCKET: 'photos', TVM_SCOPES: '{"x":{"prefix":"/","actions":["read"]}}' })).toThrow(/TVM_SCOPES/);
  });
});
