/** The refusals the STS emulator answers with, in STS's codes and messages. */

/** A refusal answered as an STS error body. */
export class StsRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const MAX_BODY_BYTES = 64 * 1024;

export function actionNotFound(): StsRefusal {
  return new StsRefusal(404, 'InvalidAction.NotFound', 'Specified api is not found, please check your url and method.');
}

export function bodyTooLarge(): StsRefusal {
  return new StsRefusal(413, 'RequestEntityTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
}

export function serverError(status: number): StsRefusal {
  return status === 503
    ? new StsRefusal(503, 'ServiceUnavailable', 'The request has failed due to a temporary failure of the server.')
    : new StsRefusal(status, 'InternalError', 'STS Server Internal Error happened.');
}

export function internalError(): StsRefusal {
  return serverError(500);
}

export function throttled(): StsRefusal {
  return new StsRefusal(400, 'Throttling.User', 'Request was denied due to user flow control.');
}
