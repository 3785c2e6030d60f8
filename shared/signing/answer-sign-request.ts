/**
 * sign-request's one route: `GET /` opens a signing session; `POST /` signs the shape its body
 * has (see {@link SignRequest}) and answers in that shape's reply.
 */
import type { HttpResponse } from '../http/message';
import type { Invocation } from '../http/function-handler';
import type { VendingService } from '../vending/caller-credentials';
import { postObjectResponse, signPostObject } from './post-object';
import { signRemoteSignerV1, signRemoteSignerV4 } from './remote-signer';
import { signCanonicalRequest } from './sign-canonical';
import { signForCaller } from './sign-for-caller';
import { type SignRequest, readSessionRequest, readSignRequest } from './sign-request';
import { canonicalSignatureResponse, remoteSignatureResponse, sessionResponse, signingResponse } from './signing-response';
import { openSigningSession } from './signing-session';

/**
 * Answers one sign-request invocation.
 *
 * @throws {@link TvmError} for every refusal; the function frame turns it into its response.
 */
export async function answerSignRequest(service: VendingService, invocation: Invocation): Promise<HttpResponse> {
  if (invocation.request.method === 'GET') return sessionResponse(await openSigningSession(service, invocation, readSessionRequest(invocation.request)));
  const request: SignRequest = readSignRequest(invocation.request);
  switch (request.mode) {
    case 'text':
    case 'json':
      return signingResponse(request.mode, await signForCaller(service, invocation, request));
    case 'remoteSignerV4':
      return remoteSignatureResponse(await signRemoteSignerV4(service, invocation, request));
    case 'remoteSignerV1':
      return remoteSignatureResponse(await signRemoteSignerV1(service, invocation, request));
    case 'canonicalV4':
      return canonicalSignatureResponse(await signCanonicalRequest(service, invocation, request));
    case 'postObject':
      return postObjectResponse(await signPostObject(service, invocation, request));
  }
}
