/**
 * What a request asks for beyond its plain operation, as OSS sees it: the extra RAM actions that
 * headers and parameters demand, and the features the emulator does not model, which it refuses with
 * 501 rather than serving a plain operation in their place.
 *
 * RAM actions, from OSS's documents:
 * - `x-oss-tagging` on an upload needs `oss:PutObjectTagging` besides `oss:PutObject` (PutObject's
 *   permission table: "oss:PutObjectTagging — When uploading an object, if you specify object tags through
 *   x-oss-tagging, this permission is required", alibabacloud.com/help/en/oss/developer-reference/upload-a-local-file;
 *   the refusal is EC 0003-00000905, whose page's example is exactly this request, help.aliyun.com/zh/oss/support/0003-00000905).
 *   Tags may be set by simple and multipart upload alike ("Add tags to an object when you upload the object by
 *   using simple upload, multipart upload…", alibabacloud.com/help/doc-detail/122381.htm), so InitiateMultipartUpload
 *   needs it too.
 * - `x-oss-object-acl` sets the object's ACL, which needs `oss:PutObjectAcl` ("Object ACLs: The RAM user must have
 *   the oss:PutObjectAcl permission", help.aliyun.com/en/oss/user-guide/object-acl; an ACL can be set "when you
 *   upload the object", alibabacloud.com/help/en/object-storage-service/latest/manage-the-acl-of-an-object-1). Its
 *   values: private, public-read, public-read-write, default (PutObjectACL, help.aliyun.com/en/oss/developer-reference/putobjectacl).
 * - `versionId` on a download needs `oss:GetObjectVersion` besides `oss:GetObject` (GetObject's permission table:
 *   "oss:GetObjectVersion — When downloading an object, if you specify the object version through versionId, this
 *   permission is required", help.aliyun.com/en/oss/developer-reference/download-objects-16). The emulator's buckets
 *   are not versioned, so every object's version is `null` ("If you set the versionId to null, the object version
 *   that has a null versionId is returned", same page); any other version does not exist.
 *
 * Not modelled, so 501: image and media processing (`x-oss-process`: the emulator cannot render what OSS would
 * return), upload callbacks (`x-oss-callback`: it would have to call the app server), `versionId` on anything
 * but a download. Symlinks, ACL, tagging and the other sub-resource operations are refused earlier, by name.
 */
import { OssError, invalidArgument, notImplemented } from './errors';
import { hasQuery, queryValue } from './request';
import type { OssRequest } from './request';

const OBJECT_ACLS = ['private', 'public-read', 'public-read-write', 'default'];
const UPLOADS = new Set(['PutObject', 'InitiateMultipartUpload']);
const DOWNLOADS = new Set(['GetObject', 'HeadObject', 'GetObjectMeta']);

/** One RAM action a request needs, with the detailed error code OSS gives when it is denied, if known. */
export interface RequiredAction {
  readonly action: string;
  readonly ec?: string;
}

/**
 * The RAM actions `request` needs besides its operation's own (`oss:PutObject`, `oss:GetObject`…).
 *
 * @throws OssError 400 `InvalidArgument` for an `x-oss-object-acl` that is not an ACL.
 * @example
 * ```ts
 * additionalActions('PutObject', { …, headers: { 'x-oss-tagging': 'a=1' } }); // → [{ action: 'oss:PutObjectTagging', ec: '0003-00000905' }]
 * ```
 */
export function additionalActions(operation: string, request: OssRequest): RequiredAction[] {
  const actions: RequiredAction[] = [];
  if (UPLOADS.has(operation)) {
    const acl = request.headers['x-oss-object-acl'];
    if (acl !== undefined) {
      if (!OBJECT_ACLS.includes(acl.trim())) {
        throw invalidArgument('no such object access control exists', { ArgumentName: 'x-oss-object-acl', ArgumentValue: acl });
      }
      actions.push({ action: 'oss:PutObjectAcl' });
    }
    if (request.headers['x-oss-tagging'] !== undefined) actions.push({ action: 'oss:PutObjectTagging', ec: '0003-00000905' });
  }
  if (DOWNLOADS.has(operation) && hasQuery(request, 'versionId')) actions.push({ action: 'oss:GetObjectVersion' });
  return actions;
}

/**
 * Refuses, after authorization, what the emulator would otherwise serve as a plain operation although
 * OSS would do more: 501 `NotImplemented` for `x-oss-process`, `x-oss-callback`, or `versionId` on
 * anything but a download; 404 `NoSuchVersion` for a version other than `null`.
 */
export function refuseUnmodelled(operation: string, request: OssRequest): void {
  if (hasQuery(request, 'x-oss-process')) {
    throw notImplemented('image and media processing (x-oss-process)');
  }
  if (request.headers['x-oss-callback'] !== undefined || hasQuery(request, 'callback')) {
    throw notImplemented('upload callbacks (x-oss-callback)');
  }
  const versionId = queryValue(request, 'versionId');
  if (versionId === undefined) return;
  if (!DOWNLOADS.has(operation)) throw notImplemented(`versionId on ${operation}`);
  if (versionId !== 'null') {
    throw new OssError(404, 'NoSuchVersion', 'The specified version does not exist.', { Key: request.key, VersionId: versionId });
  }
}
