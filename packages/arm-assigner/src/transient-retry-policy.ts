import type { PipelinePolicy, PipelineRequest, PipelineResponse, SendRequest } from '@azure/core-rest-pipeline';

/** Name under which the policy sits in the SDK pipeline (replacing the SDK's `defaultRetryPolicy`). */
export const TRANSIENT_RETRY_POLICY_NAME = 'podidTransientRetryPolicy';

export interface TransientRetryOptions {
  /** Retries per HTTP request after the first attempt (default 3, as autorest's default upstream used). */
  readonly maxRetries?: number;
  /** Delay before the first retry; doubles each time (default 1000 ms). */
  readonly initialDelayMs?: number;
  /** Cap for the doubled delay (default 8000 ms). */
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Upstream's retry list: autorest's default status codes minus 429 (§2.1 step 6). */
const TRANSIENT_STATUS_CODES = new Set([408, 500, 502, 503, 504]);
/** Transport failures worth another attempt (connection dropped mid-way, not "nobody listens"). */
const TRANSIENT_ERROR_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN']);

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Replaces the Azure SDK's default retry policy. That policy retries 429 (and 503) responses after their
 * Retry-After for up to three times, which would keep MIC's reconcile stuck for minutes inside one call when ARM
 * throttles, and hides the 429 from the assigner's own back-off deadline (§2.10). This policy retries only
 * transient failures that carry no Retry-After, a bounded number of times; a response with Retry-After is returned
 * to the caller at once so the assigner's throttle gate can govern.
 */
export function transientRetryPolicy(options: TransientRetryOptions = {}): PipelinePolicy {
  const maxRetries = Math.max(0, options.maxRetries ?? 3);
  const initialDelayMs = Math.max(0, options.initialDelayMs ?? 1000);
  const maxDelayMs = Math.max(initialDelayMs, options.maxDelayMs ?? 8000);
  const sleep = options.sleep ?? realSleep;
  return {
    name: TRANSIENT_RETRY_POLICY_NAME,
    async sendRequest(request: PipelineRequest, next: SendRequest): Promise<PipelineResponse> {
      for (let attempt = 0; ; attempt++) {
        let response: PipelineResponse | undefined;
        let failure: unknown;
        try {
          response = await next(request);
        } catch (error) {
          failure = error;
        }
        const retryable = response === undefined ? isTransientTransportError(failure) : isTransientResponse(response);
        if (!retryable || attempt >= maxRetries || request.abortSignal?.aborted === true) {
          if (response === undefined) throw failure;
          return response;
        }
        await sleep(Math.min(maxDelayMs, initialDelayMs * 2 ** attempt));
      }
    },
  };
}

function isTransientResponse(response: PipelineResponse): boolean {
  if (!TRANSIENT_STATUS_CODES.has(response.status)) return false;
  return response.headers.get('retry-after') === undefined;
}

function isTransientTransportError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  const causeCode = (error as { cause?: { code?: unknown } }).cause?.code;
  return (
    (typeof code === 'string' && TRANSIENT_ERROR_CODES.has(code)) ||
    (typeof causeCode === 'string' && TRANSIENT_ERROR_CODES.has(causeCode))
  );
}
