/**
 * The multipart/form-data body of a PostObject (RFC 7578): the form fields in order, then the
 * `file` field, which must be the last one. A body that is not well-formed multipart, has no `file`
 * field or has a field after it is refused as OSS refuses it: 400 `MalformedPOSTRequest`, EC
 * 0006-00000104 (OSS error reference "0006-00000104": "the file form field is missing or the file
 * form field is not the last form field").
 */
import { OssError } from '../errors';

/** One form field. `filename` and `contentType` are those of its part, when given. */
export interface FormField {
  /** The field name as sent. */
  readonly name: string;
  readonly value: Buffer;
  readonly filename?: string;
  readonly contentType?: string;
}

/** A parsed PostObject body: the fields before `file`, and the `file` field itself. */
export interface PostForm {
  readonly fields: readonly FormField[];
  readonly file: FormField;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_BOUNDARY = 70;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BOUNDARY = /^[0-9A-Za-z'()+_,./:=?-]([0-9A-Za-z'()+_,./:=? -]{0,68}[0-9A-Za-z'()+_,./:=?-])?$/;

/** True when a Content-Type announces multipart/form-data. */
export function isMultipartForm(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'multipart/form-data';
}

/**
 * Parses a PostObject body.
 *
 * @throws OssError 400 `MalformedPOSTRequest` for a body that is not well-formed
 *   multipart/form-data, without a `file` field, or with a field after it.
 */
export function parsePostForm(contentType: string | undefined, body: Buffer): PostForm {
  const boundary = boundaryOf(contentType ?? '');
  const delimiter = Buffer.from(`--${boundary}`);
  if (!body.subarray(0, delimiter.length).equals(delimiter)) throw malformed();
  const fields: FormField[] = [];
  let cursor = delimiter.length;
  for (;;) {
    if (body.subarray(cursor, cursor + 2).toString('latin1') === '--') break;
    if (!body.subarray(cursor, cursor + 2).equals(CRLF)) throw malformed();
    const headersEnd = body.indexOf(HEADER_END, cursor);
    if (headersEnd === -1) throw malformed();
    const part = partHeaders(body.subarray(cursor + 2, headersEnd).toString('utf8'));
    const contentStart = headersEnd + HEADER_END.length;
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), contentStart);
    if (next === -1) throw malformed();
    const field: FormField = { ...part, value: body.subarray(contentStart, next) };
    cursor = next + CRLF.length + delimiter.length;
    if (field.name.toLowerCase() === 'file') {
      if (!closes(body, cursor)) throw malformed();
      return { fields, file: field };
    }
    fields.push(field);
  }
  throw malformed();
}

/** True when the close delimiter's `--` starts at `at` and ends the body, or only a line break follows. */
function closes(body: Buffer, at: number): boolean {
  const rest = body.subarray(at + 2);
  return body.subarray(at, at + 2).toString('latin1') === '--' && (rest.length === 0 || rest.equals(CRLF));
}

/** The value of the first field named `name` (compared case-insensitively), as UTF-8 text. */
export function fieldText(fields: readonly FormField[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  return fields.find((field) => field.name.toLowerCase() === wanted)?.value.toString('utf8');
}

function boundaryOf(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2] ?? '';
  if (boundary.length === 0 || boundary.length > MAX_BOUNDARY || !BOUNDARY.test(boundary)) throw malformed();
  return boundary;
}

function partHeaders(text: string): { name: string; filename?: string; contentType?: string } {
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !HEADER_NAME.test(line.slice(0, colon)) || /[\u0000-\u0008\u000a-\u001f\u007f]/.test(line)) throw malformed();
    const header = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === 'content-disposition') {
      const parameters = dispositionParameters(value);
      name = parameters.get('name');
      filename = parameters.get('filename');
    } else if (header === 'content-type') {
      contentType = value;
    }
  }
  if (name === undefined || name === '') throw malformed();
  return { name, ...(filename === undefined ? {} : { filename }), ...(contentType === undefined ? {} : { contentType }) };
}

/** The parameters of `form-data; name="…"; filename="…"`; refuses any other disposition. */
function dispositionParameters(value: string): Map<string, string> {
  const match = /^form-data((?:\s*;\s*[A-Za-z0-9*_-]+=(?:"[^"\r\n]*"|[^;"\s]*))*)\s*$/i.exec(value);
  if (match === null) throw malformed();
  const parameters = new Map<string, string>();
  for (const [, key = '', quoted, bare] of (match[1] ?? '').matchAll(/;\s*([A-Za-z0-9*_-]+)=(?:"([^"\r\n]*)"|([^;"\s]*))/g)) {
    const name = key.toLowerCase();
    if (!parameters.has(name)) parameters.set(name, quoted ?? bare ?? '');
  }
  return parameters;
}

function malformed(): OssError {
  return new OssError(400, 'MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.', {}, '0006-00000104');
}
