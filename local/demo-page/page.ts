/**
 * The sandbox's demo page, in the browser: sign in as a demo user, upload with ali-oss (vend-token's
 * STS credentials, V4, multipart with progress) or with a PostObject form from sign-request
 * (progress too), list your objects, download one through a V4 presigned URL. Bundled by esbuild
 * when the sandbox starts; ali-oss comes from its own browser build (node_modules/ali-oss/dist).
 */

/** What the sandbox tells the page (`config.json`). */
interface DemoConfig {
  readonly vendTokenUrl: string;
  readonly signRequestUrl: string;
  readonly tokenUrl: string;
  readonly users: readonly string[];
  readonly upload?: { readonly maxBytes?: number; readonly contentTypes?: readonly string[]; readonly overwrite?: boolean };
}

/** vend-token's answer. */
interface Credentials {
  readonly AccessKeyId: string;
  readonly AccessKeySecret: string;
  readonly SecurityToken: string;
  readonly Expiration: string;
  readonly Bucket: string;
  readonly Region: string;
  readonly Endpoint: string;
  readonly Prefix: string;
}

/** sign-request's PostObject answer. */
interface PostForm {
  readonly Url: string;
  readonly Fields: Readonly<Record<string, string>>;
  readonly Expiration: string;
}

/** The parts of ali-oss's browser client the page uses. */
interface OssClient {
  multipartUpload(name: string, file: File, options: { partSize: number; mime?: string; progress: (fraction: number) => void }): Promise<unknown>;
  listV2(query: Record<string, string | number>, options?: object): Promise<{ objects?: Array<{ name: string; size: number }> }>;
  signatureUrlV4(method: string, expires: number, request: { headers?: Record<string, string> } | undefined, objectName: string): Promise<string>;
}
declare const OSS: new (options: Record<string, unknown>) => OssClient;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

let config: DemoConfig;
let token = '';
let credentials: Credentials | undefined;
let client: OssClient | undefined;

async function main(): Promise<void> {
  config = (await (await fetch('config.json')).json()) as DemoConfig;
  $<HTMLButtonElement>('sign-in').addEventListener('click', () => void run(signIn));
  $<HTMLButtonElement>('upload-sdk').addEventListener('click', () => void run(uploadWithSdk));
  $<HTMLButtonElement>('upload-form').addEventListener('click', () => void run(uploadWithForm));
  $<HTMLButtonElement>('refresh').addEventListener('click', () => void run(listObjects));
  $<HTMLInputElement>('file').addEventListener('change', () => {
    const file = selectedFile();
    if (file && credentials) $<HTMLInputElement>('key').value = `${credentials.Prefix}${file.name}`;
  });
}

/** Runs an action, showing any failure as a message; buttons are disabled meanwhile. */
async function run(action: () => Promise<void>): Promise<void> {
  const buttons = [...document.querySelectorAll('button')];
  const enabled = buttons.filter((button) => !button.disabled);
  for (const button of enabled) button.disabled = true;
  try {
    await action();
  } catch (error) {
    show('refused', error instanceof Error ? error.message : String(error));
  } finally {
    for (const button of enabled) button.disabled = false;
  }
}

function show(kind: 'ok' | 'refused' | 'info', text: string): void {
  const message = $('message');
  message.className = kind === 'info' ? '' : kind;
  message.textContent = text;
}

async function vend(): Promise<Credentials> {
  const response = await fetch(config.vendTokenUrl, { headers: { Authorization: `Bearer ${token}` } });
  const body = (await response.json()) as Credentials & { ErrorCode?: string; ErrorMessage?: string };
  if (!response.ok) throw new Error(`vend-token refused (${body.ErrorCode}): ${body.ErrorMessage}`);
  return body;
}

async function signIn(): Promise<void> {
  const user = $<HTMLSelectElement>('user').value;
  token = (await (await fetch(`${config.tokenUrl}?sub=${encodeURIComponent(user)}`)).text()).trim();
  credentials = await vend();
  client = new OSS({
    endpoint: credentials.Endpoint,
    bucket: credentials.Bucket,
    region: `oss-${credentials.Region}`,
    accessKeyId: credentials.AccessKeyId,
    accessKeySecret: credentials.AccessKeySecret,
    stsToken: credentials.SecurityToken,
    authorizationV4: true,
    // The sandbox's OSS is an IP address: address the bucket in the path.
    sldEnable: true,
    secure: credentials.Endpoint.startsWith('https:'),
    refreshSTSToken: async () => {
      const renewed = await vend();
      return { accessKeyId: renewed.AccessKeyId, accessKeySecret: renewed.AccessKeySecret, stsToken: renewed.SecurityToken };
    },
    refreshSTSTokenInterval: 300_000,
  });
  const limits = config.upload ?? {};
  const described = [
    limits.maxBytes === undefined ? undefined : `at most ${limits.maxBytes} bytes`,
    limits.contentTypes === undefined ? undefined : `types ${limits.contentTypes.join(', ')}`,
    limits.overwrite === false ? 'no overwriting' : undefined,
  ].filter(Boolean);
  $('identity').textContent = `Signed in as ${user}: your prefix is ${credentials.Prefix}; form uploads accept ${described.length > 0 ? described.join(', ') : 'anything'}.`;
  const file = selectedFile();
  $<HTMLInputElement>('key').value = `${credentials.Prefix}${file?.name ?? ''}`;
  for (const id of ['upload-sdk', 'upload-form', 'refresh']) $<HTMLButtonElement>(id).disabled = false;
  show('info', `Signed in as ${user}.`);
  await listObjects();
}

function selectedFile(): File | undefined {
  return $<HTMLInputElement>('file').files?.[0];
}

function chosen(): { file: File; key: string } {
  const file = selectedFile();
  if (file === undefined) throw new Error('Choose a file first.');
  const key = $<HTMLInputElement>('key').value.trim();
  if (key === '') throw new Error('Give the object a key.');
  return { file, key };
}

function progress(path: 'sdk' | 'form', fraction: number): void {
  const percent = Math.round(fraction * 100);
  $<HTMLProgressElement>(`progress-${path}`).value = percent;
  $(`percent-${path}`).textContent = `${percent}%`;
}

async function uploadWithSdk(): Promise<void> {
  const { file, key } = chosen();
  if (client === undefined) throw new Error('Sign in first.');
  progress('sdk', 0);
  show('info', `Uploading ${file.name} (${file.size} bytes) with ali-oss…`);
  try {
    await client.multipartUpload(key, file, { partSize: 100 * 1024, mime: file.type || 'application/octet-stream', progress: (fraction) => progress('sdk', fraction) });
  } catch (error) {
    const failure = error as { code?: string; message?: string; status?: number };
    const outside = failure.code === 'AccessDenied' && credentials !== undefined && !key.startsWith(credentials.Prefix);
    const reason = outside ? `${key} is not under your prefix ${credentials?.Prefix}.` : failure.message ?? 'the request failed.';
    throw new Error(`OSS refused the upload (${failure.code ?? failure.status ?? 'network'}): ${reason}`);
  }
  progress('sdk', 1);
  show('ok', `Uploaded ${key} (${file.size} bytes) with ali-oss.`);
  await listObjects();
}

async function uploadWithForm(): Promise<void> {
  const { file, key } = chosen();
  const response = await fetch(config.signRequestUrl, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ version: 'v4', postObject: { key, contentLength: file.size, ...(file.type ? { contentType: file.type } : {}) } }),
  });
  const answer = (await response.json()) as PostForm & { ErrorCode?: string; ErrorMessage?: string };
  if (!response.ok) throw new Error(`sign-request refused the form (${answer.ErrorCode}): ${answer.ErrorMessage}`);
  progress('form', 0);
  show('info', `Uploading ${file.name} (${file.size} bytes) with a PostObject form…`);
  const data = new FormData();
  for (const [name, value] of Object.entries(answer.Fields)) data.append(name, value);
  data.append('file', file, file.name);
  const { status, text } = await post(answer.Url, data, (fraction) => progress('form', fraction));
  if (status < 200 || status > 299) {
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? String(status);
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
    throw new Error(`OSS refused the form (${code}): ${message}`);
  }
  progress('form', 1);
  show('ok', `Uploaded ${key} (${file.size} bytes) with a PostObject form.`);
  await listObjects();
}

/** POSTs a form with XMLHttpRequest, the browser API that reports upload progress. */
function post(url: string, data: FormData, onProgress: (fraction: number) => void): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener('load', () => resolve({ status: request.status, text: request.responseText }));
    request.addEventListener('error', () => reject(new Error('The form could not be sent to OSS (network or CORS).')));
    request.send(data);
  });
}

async function listObjects(): Promise<void> {
  if (client === undefined || credentials === undefined) return;
  const listed = await client.listV2({ prefix: credentials.Prefix, 'max-keys': 100 });
  const rows = $('objects');
  rows.replaceChildren();
  for (const object of listed.objects ?? []) {
    const row = document.createElement('tr');
    const download = document.createElement('button');
    download.className = 'secondary';
    download.textContent = 'Download';
    download.dataset['key'] = object.name;
    download.addEventListener('click', () => void run(() => downloadObject(object.name)));
    for (const text of [object.name, `${object.size} bytes`]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    const cell = document.createElement('td');
    cell.append(download);
    row.append(cell);
    rows.append(row);
  }
  if ((listed.objects ?? []).length === 0) rows.innerHTML = '<tr><td colspan="3" class="muted">No objects yet.</td></tr>';
}

async function downloadObject(key: string): Promise<void> {
  if (client === undefined) return;
  const url = await client.signatureUrlV4('GET', 600, { headers: {} }, key);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`OSS refused the download (${response.status}).`);
  const bytes = (await response.arrayBuffer()).byteLength;
  const link = document.createElement('a');
  link.id = 'download-link';
  link.href = url;
  link.textContent = `Open ${key} (this V4 presigned URL works for 10 minutes)`;
  link.download = key.slice(key.lastIndexOf('/') + 1);
  $('download').replaceChildren(link);
  show('ok', `Downloaded ${key} through a V4 presigned URL: ${bytes} bytes.`);
}

void main();
