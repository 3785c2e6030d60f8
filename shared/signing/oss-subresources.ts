/**
 * The query parameters OSS puts into the resource of a V1 string to sign (its "sub-resources"):
 * the union of the official SDKs' signing lists, read in
 * - aliyun-oss-go-sdk `oss/conn.go` `signKeyList` (commit b6e0a2ae5b13f20fcdaf8e5c00b0bcf9dece0a34),
 * - aliyun-oss-java-sdk `src/main/java/com/aliyun/oss/internal/SignParameters.java` `SIGNED_PARAMTERS`
 *   (commit 44426bfa218c4207fe4fd1e5b9c89b4e255c8d37),
 * - alibabacloud-oss-go-sdk-v2 `oss/signer/v1.go` `requiredSignedParametersMap`, which also signs
 *   every parameter named `x-oss-*` (commit b3226d1b080a191be6e724f757316b3b28f1179d),
 * - alibabacloud-oss-kotlin-sdk-v2 `SignerV1.kt` (13cbeacb) and alibabacloud-oss-swift-sdk-v2
 *   `SignerSubResource.swift` (e208a6c3).
 * A parameter no SDK signs cannot be one OSS reads into the resource: every SDK's signature of a
 * request carrying it would fail.
 */
const SUBRESOURCES: ReadonlySet<string> = new Set([
  'accessPoint', 'accessPointPolicy', 'acl', 'append', 'asyncFetch', 'bucketArchiveDirectRead', 'bucketInfo', 'callback', 'callback-var',
  'cleanRestoredObject', 'cloudboxes', 'cname', 'comp', 'continuation-token', 'cors', 'delete', 'encryption', 'endTime', 'httpsConfig', 'img',
  'inventory', 'inventoryId', 'lifecycle', 'live', 'location', 'logging', 'metaQuery', 'objectMeta', 'partNumber', 'policy', 'policyStatus',
  'position', 'processConfiguration', 'publicAccessBlock', 'qos', 'qosInfo', 'redundancyTransition', 'referer', 'regionList', 'replication',
  'replicationLocation', 'replicationProgress', 'requestPayment', 'resourceGroup', 'response-cache-control', 'response-content-disposition',
  'response-content-encoding', 'response-content-language', 'response-content-type', 'response-expires', 'responseHeader', 'restore', 'rtc',
  'seal', 'security-token', 'sequential', 'startTime', 'stat', 'status', 'style', 'styleName', 'symlink', 'tagging', 'transferAcceleration',
  'udf', 'udfApplication', 'udfApplicationLog', 'udfId', 'udfImage', 'udfImageDesc', 'udfName', 'uploadId', 'uploads', 'versionId',
  'versioning', 'versions', 'vip', 'vod', 'vpcip', 'website', 'withHashContext', 'worm', 'wormExtend', 'wormId',
]);

/** Whether OSS reads a query parameter of this name into a V1 resource: one of the SDKs' list, or any `x-oss-*`. */
export function isOssSubresource(name: string): boolean {
  return SUBRESOURCES.has(name) || name.startsWith('x-oss-');
}
