/**
 * PostObject (OSS "PostObject": an HTML form upload, `POST /` on the bucket with a multipart/form-data
 * body whose last field is `file`): the form is parsed, its signature verified, its policy's expiry
 * and every condition enforced, and the object described for the emulator to authorize and store.
 */
import { OssError, accessDenied, invalidArgument, notImplemented, v1SignatureNotSupported } from '../errors';
import type { AuthenticateOptions, AuthenticatedCaller } from '../authenticate';
import type { OssRequest } from '../request';
import { xmlDocument } from '../xml';
import { type FormField, fieldText, isMultipartForm, parsePostForm } from './form';
import { decodePolicy, requireConditions, requireUnexpired } from './policy';
import { formSignatureKind, verifyFormSignature } from './signature';

export { isMultipartForm } from './form';

/** An upload the form allows, for the emulator to authorize (RAM `oss:PutObject`) and store. */
export interface PostObjectUpload {
  readonly caller: AuthenticatedCaller;
  readonly key: string;
  readonly file: Buffer;
  /** The object's headers as a PutObject would send them: Content-Type, x-oss-meta-*, Cache-Control…, x-oss-forbid-overwrite. */
  readonly headers: Readonly<Record<string, string>>;
  /** The status to answer with: `success_action_status` when 200 or 201, else 204. */
  readonly status: 200 | 201 | 204;
}

const OBJECT_FIELDS = ['content-type', 'cache-control', 'content-disposition', 'content-encoding', 'expires', 'x-oss-forbid-overwrite'];
const UNSUPPORTED_FIELDS = ['callback', 'success_action_redirect', 'x-oss-object-acl', 'x-oss-tagging'];

/** True when a request is a PostObject: a multipart/form-data POST to a bucket. */
export function isPostObject(request: OssRequest): boolean {
  return request.method === 'POST' && request.bucket !== undefined && request.key === '' && request.query.length === 0 && isMultipartForm(request.headers['content-type']);
}

/**
 * Reads and checks a PostObject.
 *
 * @throws OssError with OSS's code for a malformed form, a V1 form on a V4-only bucket, a bad
 *   signature, an expired policy, a failed condition, a file out of range or a field the emulator
 *   does not implement.
 */
export function receivePostObject(request: OssRequest, body: Buffer, options: AuthenticateOptions & { readonly v4Only?: boolean }): PostObjectUpload {
  const { fields, file } = parsePostForm(request.headers['content-type'], body);
  const kind = formSignatureKind(fields);
  if (kind === undefined) throw accessDenied('You have no right to access this object because of bucket acl.', {}, '0003-00000001');
  if (kind === 'v1-form' && options.v4Only === true) throw v1SignatureNotSupported();
  const policyText = fieldText(fields, 'policy');
  if (policyText === undefined) throw accessDenied('The policy form field is required for a signed PostObject.', {}, '0002-00000702');
  const policy = decodePolicy(policyText);
  const caller = verifyFormSignature(fields, policy, policyText, options);
  requireUnexpired(policy, options.nowMs);
  const unsupported = UNSUPPORTED_FIELDS.find((name) => fieldText(fields, name) !== undefined);
  if (unsupported !== undefined) throw notImplemented(`the '${unsupported}' PostObject form field`);
  const key = objectKey(fields, file);
  const values = new Map<string, string>();
  for (const field of fields) {
    const name = field.name.toLowerCase();
    if (!values.has(name)) values.set(name, field.value.toString('utf8'));
  }
  values.set('key', key);
  requireConditions(policy, { fields: values, bucket: request.bucket ?? '', fileBytes: file.value.length });
  return { caller, key, file: file.value, headers: objectHeaders(values), status: successStatus(values.get('success_action_status')) };
}

/** The answer to a stored PostObject: 204 with no body, 200 with none, or 201 with a PostResponse document. */
export function postObjectReply(upload: PostObjectUpload, bucket: string, location: string, etag: string): { status: number; headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = { ETag: etag };
  if (upload.status !== 201) return { status: upload.status, headers };
  const body = xmlDocument('PostResponse', [
    ['Bucket', bucket],
    ['Location', location],
    ['Key', upload.key],
    ['ETag', etag],
  ]);
  return { status: 201, headers: { ...headers, 'Content-Type': 'application/xml' }, body };
}

/** The `key` field with `${filename}` replaced by the file's name, as OSS does. */
function objectKey(fields: readonly FormField[], file: FormField): string {
  const template = fieldText(fields, 'key');
  if (template === undefined || template === '') throw invalidArgument('The key form field is required.', { ArgumentName: 'key' });
  const key = template.split('${filename}').join(file.filename ?? '');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0 || bytes > 1023 || key.startsWith('/') || key.startsWith('\\') || !key.isWellFormed()) {
    throw new OssError(400, 'InvalidObjectName', 'The specified object is not valid.', { ObjectName: key.slice(0, 64) });
  }
  return key;
}

function objectHeaders(values: ReadonlyMap<string, string>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of values) {
    if (OBJECT_FIELDS.includes(name) || name.startsWith('x-oss-meta-')) headers[name] = value;
  }
  const forbid = headers['x-oss-forbid-overwrite'];
  if (forbid !== undefined && forbid !== 'true' && forbid !== 'false') {
    throw invalidArgument('The x-oss-forbid-overwrite form field must be true or false.', { ArgumentName: 'x-oss-forbid-overwrite', ArgumentValue: forbid });
  }
  return headers;
}

function successStatus(value: string | undefined): 200 | 201 | 204 {
  return value === '200' ? 200 : value === '201' ? 201 : 204;
}
