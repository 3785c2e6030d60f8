/** Writing STS's JSON answers and error bodies. */
import type { ServerResponse } from 'node:http';
import { StsRefusal } from './errors';
import { newRequestId } from './identifiers';

const HOST_ID = 'sts.aliyuncs.com';
export const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';

export function sendErrorOrDestroy(res: ServerResponse, refusal: StsRefusal): void {
  try {
    sendError(res, refusal);
  } catch {
    res.destroy();
  }
}

function sendError(res: ServerResponse, refusal: StsRefusal): void {
  if (refusal.status === 413) res.setHeader('connection', 'close');
  sendJson(res, refusal.status, {
    RequestId: newRequestId(),
    HostId: HOST_ID,
    Code: refusal.code,
    Message: refusal.message,
  });
}

export function sendJson(res: ServerResponse, status: number, body: object): void {
  sendRaw(res, status, JSON_CONTENT_TYPE, JSON.stringify(body));
}

export function sendRaw(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
