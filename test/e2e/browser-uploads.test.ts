/**
 * The demo page in a real browser: Debian's Chromium, driven by playwright-core, against the
 * sandbox `npm start` runs. Both upload paths (ali-oss with vend-token credentials, a PostObject
 * form from sign-request), the refusals a user meets, the listing and a download through a V4
 * presigned URL; every upload is checked byte for byte in the OSS emulator.
 * `UPDATE_SCREENSHOT=1` writes the README's screenshot (docs/demo-page.png).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';

const CHROMIUM = '/usr/bin/chromium';
/** What a machine without internet needs (README: Testing in a browser). */
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = fileURLToPath(new URL('../../docs/demo-page.png', import.meta.url));

let sandbox: Sandbox;
let context: BrowserContext;
let page: Page;
let profile: string;
let bucket: string;

const stored = (key: string) => sandbox.oss?.objects(bucket).get(key);
const sha256 = (bytes: Buffer | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Chooses a file in the page's file input, as a user does. */
async function choose(name: string, mimeType: string, buffer: Buffer, key?: string): Promise<void> {
  await page.setInputFiles('#file', { name, mimeType, buffer });
  if (key !== undefined) await page.fill('#key', key);
}

/** Clicks a button and waits until the page reports the outcome; resolves with the message and its kind. */
async function outcome(button: string): Promise<{ kind: string; text: string }> {
  await page.click(button);
  const message = page.locator('#message.ok, #message.refused');
  await message.waitFor({ timeout: 15_000 });
  const result = { kind: (await message.getAttribute('class')) ?? '', text: (await message.textContent()) ?? '' };
  await page.locator('#message').evaluate((element) => element.removeAttribute('class'));
  return result;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does.`);
  sandbox = await startSandbox({ port: 0, environment: {}, logger: { request() {}, event() {} } });
  bucket = sandbox.settings['TVM_BUCKET'] ?? '';
  profile = mkdtempSync(join(tmpdir(), 'oss-tvm-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1000, height: 900 } });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(sandbox.demoUrl);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await sandbox?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the demo page in Chromium', () => {
  const notes = randomBytes(300 * 1024);
  const picture = randomBytes(40 * 1024);

  it('signs in a demo user and shows the prefix and the upload limits', async () => {
    await page.selectOption('#user', 'alice');
    await page.click('#sign-in');

    await expect.poll(() => page.textContent('#identity')).toContain('Signed in as alice: your prefix is users/alice/');
    expect(await page.textContent('#identity')).toContain('at most 1048576 bytes, types image/*, text/plain, application/pdf, application/octet-stream');
  });

  it('uploads with ali-oss in parts (V4, vend-token credentials), with the progress bar at 100%', async () => {
    await choose('notes.txt', 'text/plain', notes);
    expect(await page.inputValue('#key')).toBe('users/alice/notes.txt');

    const result = await outcome('#upload-sdk');

    expect(result).toEqual({ kind: 'ok', text: `Uploaded users/alice/notes.txt (${notes.length} bytes) with ali-oss.` });
    expect(await page.getAttribute('#progress-sdk', 'value')).toBe('100');
    // A multipart upload's ETag ends with its part count: 300 KiB in parts of 100 KiB.
    expect(stored('users/alice/notes.txt')?.etag).toMatch(/-3"$/);
    expect(stored('users/alice/notes.txt')?.body.equals(notes)).toBe(true);
  });

  it('uploads with a PostObject form from sign-request, with the progress bar at 100%', async () => {
    await choose('cat.png', 'image/png', picture);

    const result = await outcome('#upload-form');

    expect(result).toEqual({ kind: 'ok', text: `Uploaded users/alice/cat.png (${picture.length} bytes) with a PostObject form.` });
    expect(await page.getAttribute('#progress-form', 'value')).toBe('100');
    expect(stored('users/alice/cat.png')?.body.equals(picture)).toBe(true);
    expect(stored('users/alice/cat.png')?.contentType).toBe('image/png');
  });

  it('refuses a form for a file over the scope\'s 1 MiB, naming the limit, and uploads nothing', async () => {
    await choose('big.png', 'image/png', randomBytes(1_048_577));

    const result = await outcome('#upload-form');

    expect(result.kind).toBe('refused');
    expect(result.text).toBe('sign-request refused the form (UploadNotAllowed): The upload is 1048577 bytes; this scope accepts at most 1048576 bytes (upload.maxBytes).');
    expect(stored('users/alice/big.png')).toBeUndefined();
  });

  it('refuses a form for a type outside the scope\'s contentTypes', async () => {
    await choose('page.html', 'text/html', Buffer.from('<script>alert(1)</script>'));

    const result = await outcome('#upload-form');

    expect(result).toEqual({ kind: 'refused', text: 'sign-request refused the form (UploadNotAllowed): The text/html type is not accepted here; this scope accepts image/*, text/plain, application/pdf, application/octet-stream (upload.contentTypes).' });
    expect(stored('users/alice/page.html')).toBeUndefined();
  });

  it('refuses an upload aimed at another user\'s prefix on both paths', async () => {
    await choose('planted.txt', 'text/plain', Buffer.from('not yours'), 'users/bob/planted.txt');

    const bySdk = await outcome('#upload-sdk');
    const byForm = await outcome('#upload-form');

    expect(bySdk).toEqual({ kind: 'refused', text: 'OSS refused the upload (AccessDenied): users/bob/planted.txt is not under your prefix users/alice/.' });
    expect(byForm).toEqual({ kind: 'refused', text: 'sign-request refused the form (KeyNotAllowed): Only uploads under users/alice/ are signed for you.' });
    expect(stored('users/bob/planted.txt')).toBeUndefined();
  });

  it('lists the user\'s own objects', async () => {
    await page.click('#refresh');

    await expect.poll(() => page.locator('#objects td:first-child').allTextContents()).toEqual(['users/alice/cat.png', 'users/alice/notes.txt']);
  });

  it('downloads an object through a V4 presigned URL, byte for byte', async () => {
    await page.click('#objects button[data-key="users/alice/notes.txt"]');
    await page.locator('#message.ok').waitFor();

    expect(await page.textContent('#message')).toBe(`Downloaded users/alice/notes.txt through a V4 presigned URL: ${notes.length} bytes.`);
    const href = (await page.getAttribute('#download-link', 'href')) ?? '';
    expect(new URL(href).searchParams.get('x-oss-signature-version')).toBe('OSS4-HMAC-SHA256');
    const digest = await page.evaluate(async (url) => {
      const bytes = await (await fetch(url)).arrayBuffer();
      return [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
    }, href);
    expect(digest).toBe(sha256(notes));
    if (process.env['UPDATE_SCREENSHOT'] === '1') await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });
});
