/** A refusal the emulator answers with an OSS error document. */
export class OssError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra elements of the error document, in order (e.g. `StringToSign`, `ServerTime`). */
    readonly details: Readonly<Record<string, string>> = {},
    /** OSS's detailed error code (`x-oss-ec` header and `<EC>` element), when known. */
    readonly ec?: string,
  ) {
    super(message);
    this.name = 'OssError';
  }
}

export const accessDenied = (message: string, details: Record<string, string> = {}, ec?: string): OssError =>
  new OssError(403, 'AccessDenied', message, details, ec);

export const invalidArgument = (message: string, details: Record<string, string> = {}): OssError =>
  new OssError(400, 'InvalidArgument', message, details);

export const noSuchKey = (key: string): OssError =>
  new OssError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key }, '0026-00000001');

export const noSuchUpload = (uploadId: string): OssError =>
  new OssError(404, 'NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });

export const noSuchBucket = (bucket: string): OssError =>
  new OssError(404, 'NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket }, '0015-00000101');

export const malformedXml = (): OssError =>
  new OssError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');

export const notImplemented = (what: string): OssError =>
  new OssError(501, 'NotImplemented', `The OSS emulator does not implement ${what}.`);

/**
 * A V1-signed request (header `Authorization: OSS …`, or a URL with `OSSAccessKeyId`/`Signature`) to
 * a bucket that accepts only V4, as every bucket created since 2025-09-01 does. OSS documents this
 * refusal as EC 0002-00000080: "OSS returns a 403 error when you call an API operation signed with a
 * V1 signature … OSS no longer supports V1 signatures" (help.aliyun.com/en/oss/user-guide/0002-00000080;
 * zh: help.aliyun.com/zh/oss/user-guide/0002-00000080). Its example is a V1 URL whose `Expires` is not
 * even a number, so the version is refused before anything else is checked; the emulator does the same.
 * The page states the status and the EC but not the XML `Code` or `Message`: the code is `AccessDenied`,
 * OSS's code for a 403 refusal that is not about the signature's value (help.aliyun.com/document_detail/32005
 * "Error code", and doc 42777 "HTTP 403 errors"), and the message says the cause in the page's words.
 */
export const v1SignatureNotSupported = (): OssError =>
  accessDenied('OSS no longer supports V1 signatures for this bucket: sign the request with V4 (OSS4-HMAC-SHA256).', {}, '0002-00000080');
