import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load-config';
import { MAX_UPLOAD_BYTES, contentTypeAccepted, forbidsOverwrite, mediaType, requireUploadAccepted } from '../../shared/policy/upload-limits';
import { testEnvironment } from '../helpers/jwt';
import { refusal } from '../helpers/refusal';

const withScopes = (scopes: unknown) => testEnvironment({ TVM_SCOPES: JSON.stringify(scopes) });

describe('upload limits in TVM_SCOPES', () => {
  it('loads maxBytes, contentTypes and overwrite exactly as configured', () => {
    const upload = { maxBytes: 1_048_576, contentTypes: ['image/png', 'image/*', 'text/plain'], overwrite: false };

    const config = loadConfig(withScopes({ user: { prefix: 'users/${sub}/', actions: ['read', 'write'], upload } }));

    expect(config.scopes['user']?.upload).toEqual(upload);
  });

  it('accepts each limit alone, an empty upload object, and no upload at all', () => {
    for (const upload of [{ maxBytes: 1 }, { maxBytes: MAX_UPLOAD_BYTES }, { contentTypes: ['application/pdf'] }, { overwrite: true }, {}, undefined]) {
      const scope = { prefix: 'users/${sub}/', actions: ['write'], ...(upload === undefined ? {} : { upload }) };
      expect(loadConfig(withScopes({ user: scope })).scopes['user']?.upload).toEqual(upload);
    }
  });

  it.each([
    ['maxBytes 0', { maxBytes: 0 }],
    ['maxBytes over 5 GiB', { maxBytes: MAX_UPLOAD_BYTES + 1 }],
    ['a fractional maxBytes', { maxBytes: 10.5 }],
    ['maxBytes as a string', { maxBytes: '1024' }],
    ['an empty contentTypes', { contentTypes: [] }],
    ['an upper-case type', { contentTypes: ['Image/PNG'] }],
    ['a type with parameters', { contentTypes: ['text/plain; charset=utf-8'] }],
    ['a wildcard major type', { contentTypes: ['*/*'] }],
    ['a type without a subtype', { contentTypes: ['image'] }],
    ['a repeated type', { contentTypes: ['image/png', 'image/png'] }],
    ['overwrite as a string', { overwrite: 'false' }],
    ['an unknown limit', { maxSize: 10 }],
    ['a misspelt limit', { maxbytes: 10 }],
  ])('refuses %s, naming TVM_SCOPES and the scope', (_, upload) => {
    const error = refusal(() => loadConfig(withScopes({ user: { prefix: 'users/${sub}/', actions: ['write'], upload } })));

    expect(error.code).toBe('InvalidConfiguration');
    expect(error.message).toMatch(/TVM_SCOPES is invalid at \/user\/upload/);
    expect(error.message).toContain('"upload": {"maxBytes"');
  });
});

describe('mediaType', () => {
  it('keeps the lowercase type/subtype and drops parameters', () => {
    expect(mediaType('Text/Plain; charset=utf-8')).toBe('text/plain');
    expect(mediaType(' image/png ')).toBe('image/png');
    expect(mediaType('')).toBe('');
  });
});

describe('contentTypeAccepted', () => {
  const accepted = ['image/*', 'text/plain'];

  it('accepts an exact type and any subtype of a type/* pattern, whatever the case and parameters', () => {
    expect(contentTypeAccepted('text/plain', accepted)).toBe(true);
    expect(contentTypeAccepted('TEXT/PLAIN; charset=utf-8', accepted)).toBe(true);
    expect(contentTypeAccepted('image/png', accepted)).toBe(true);
    expect(contentTypeAccepted('image/svg+xml', accepted)).toBe(true);
  });

  it('refuses other types, look-alikes and malformed values', () => {
    for (const type of ['text/html', 'text/plainx', 'text/', 'image', 'imagex/png', 'image/', 'application/octet-stream', '', '*/*', 'image/*', 'text/plain\nx']) {
      expect(contentTypeAccepted(type, accepted), type).toBe(false);
    }
  });
});

describe('requireUploadAccepted', () => {
  const limits = { maxBytes: 100, contentTypes: ['image/png'] };

  it('lets an upload within every limit through, and anything through without limits', () => {
    expect(() => requireUploadAccepted({ bytes: 100, contentType: 'image/png' }, limits)).not.toThrow();
    expect(() => requireUploadAccepted({ contentType: 'image/png' }, limits)).not.toThrow();
    expect(() => requireUploadAccepted({ bytes: 10 ** 12, contentType: 'text/html' }, undefined)).not.toThrow();
    expect(() => requireUploadAccepted({ bytes: 10 ** 12 }, {})).not.toThrow();
  });

  it('refuses a larger upload with 403 UploadNotAllowed naming maxBytes', () => {
    const error = refusal(() => requireUploadAccepted({ bytes: 101, contentType: 'image/png' }, limits));

    expect([error.status, error.code]).toEqual([403, 'UploadNotAllowed']);
    expect(error.message).toBe('The upload is 101 bytes; this scope accepts at most 100 bytes (upload.maxBytes).');
  });

  it('refuses a type outside contentTypes, naming the limit and the accepted types', () => {
    const error = refusal(() => requireUploadAccepted({ bytes: 1, contentType: 'text/html' }, limits));

    expect([error.status, error.code]).toEqual([403, 'UploadNotAllowed']);
    expect(error.message).toBe('The text/html type is not accepted here; this scope accepts image/png (upload.contentTypes).');
  });

  it('refuses an upload without a Content-Type when types are limited (OSS would guess one from the key)', () => {
    const error = refusal(() => requireUploadAccepted({ bytes: 1, contentType: '' }, limits));

    expect(error.code).toBe('UploadNotAllowed');
    expect(error.message).toContain('send the file\'s Content-Type');
  });

  it('never echoes a malformed type back', () => {
    const error = refusal(() => requireUploadAccepted({ contentType: 'text/<script>' }, limits));

    expect(error.message).not.toContain('<script>');
  });
});

describe('forbidsOverwrite', () => {
  it('is true only for overwrite: false', () => {
    expect([forbidsOverwrite({ overwrite: false }), forbidsOverwrite({ overwrite: true }), forbidsOverwrite({}), forbidsOverwrite(undefined)]).toEqual([true, false, false, false]);
  });
});
