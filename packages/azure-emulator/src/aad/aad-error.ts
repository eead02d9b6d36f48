import { randomUUID } from 'node:crypto';

/** An AAD (Entra ID) OAuth error: `{"error","error_description":"AADSTSnnn: ...","error_codes":[nnn],...}`. */
export class AadError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadstsCode: number,
    readonly description: string,
  ) {
    super(`AADSTS${aadstsCode}: ${description}`);
    this.name = 'AadError';
  }

  toBody(now: Date): Record<string, unknown> {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = now
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    return {
      error: this.error,
      error_description: `${this.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [this.aadstsCode],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${this.aadstsCode}`,
    };
  }
}

export function missingParameter(name: string): AadError {
  return new AadError(
    400,
    'invalid_request',
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}
