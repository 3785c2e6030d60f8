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
