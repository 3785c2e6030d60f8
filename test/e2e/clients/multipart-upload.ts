/** A multipart upload as a self-signing client makes it: every request signed on its own. */
import type { V4Request } from './oss-v4-client';

/** OSS's status for each step of an upload, and the upload id it gave. */
export interface MultipartOutcome {
  readonly uploadId: string;
  /** InitiateMultipartUpload, each UploadPart, CompleteMultipartUpload. */
  readonly statuses: readonly number[];
}

/**
 * Uploads `parts` to `bucket`/`key` in a multipart upload (initiate, one UploadPart per part,
 * complete with the ETags OSS returned), each request sent through `signAndSend`.
 */
export async function uploadInParts(signAndSend: (request: V4Request) => Promise<Response>, bucket: string, key: string, parts: readonly Buffer[]): Promise<MultipartOutcome> {
  const initiated = await signAndSend({ method: 'POST', bucket, key, query: { uploads: null } });
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(await initiated.text())?.[1] ?? '';
  const statuses = [initiated.status];
  const etags: string[] = [];
  for (const [index, body] of parts.entries()) {
    const uploaded = await signAndSend({ method: 'PUT', bucket, key, query: { partNumber: String(index + 1), uploadId }, body });
    statuses.push(uploaded.status);
    etags.push(uploaded.headers.get('etag') ?? '');
  }
  const completion = `<CompleteMultipartUpload>${etags.map((etag, index) => `<Part><PartNumber>${index + 1}</PartNumber><ETag>${etag}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  const completed = await signAndSend({ method: 'POST', bucket, key, query: { uploadId }, headers: { 'Content-Type': 'application/xml' }, body: completion });
  statuses.push(completed.status);
  return { uploadId, statuses };
}
