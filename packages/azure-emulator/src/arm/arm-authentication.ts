import type { IncomingMessage } from 'node:http';
import type { AccessTokenClaims } from '../aad/token-signer.js';
import type { EmulatorContext } from '../emulator-context.js';
import { ArmError } from './arm-error.js';

const CHALLENGE_BASE = 'Bearer authorization_uri="%AAD%", error="invalid_token"';

/** Audiences ARM accepts: the public cloud's plus the emulator's own URL (arm-msi asks for `${endpoint}/.default`). */
export function acceptedArmAudiences(armUrl: string): Set<string> {
  const bases = ['https://management.azure.com', 'https://management.core.windows.net', armUrl.replace(/\/+$/, '')];
  return new Set(bases.flatMap((b) => [b.toLowerCase(), `${b.toLowerCase()}/`]));
}

function unauthorized(ctx: EmulatorContext, code: string, message: string): ArmError {
  const challenge = `${CHALLENGE_BASE.replace('%AAD%', ctx.urls.aad)}, error_description="${message.replace(/"/g, "'")}"`;
  return new ArmError(401, code, message, { 'WWW-Authenticate': challenge });
}

/** Verifies the bearer token of an ARM request like ARM's front door; throws the 401 ARM would answer. */
export function authenticateArmRequest(ctx: EmulatorContext, req: IncomingMessage): AccessTokenClaims {
  const header = req.headers.authorization;
  if (!header) {
    throw unauthorized(ctx, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) {
    throw unauthorized(
      ctx,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is provided in an invalid format.",
    );
  }
  const result = ctx.signer.verify(match[1]!);
  if (!result.ok) {
    if (result.reason === 'expired' && result.claims) {
      const expiry = new Date(result.claims.exp * 1000).toISOString();
      const now = new Date(ctx.now()).toISOString();
      throw unauthorized(
        ctx,
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${expiry}' is earlier than current UTC time '${now}'.`,
      );
    }
    throw unauthorized(ctx, 'InvalidAuthenticationToken', 'The access token is invalid.');
  }
  const audience = String(result.claims.aud).toLowerCase();
  if (!acceptedArmAudiences(ctx.urls.arm).has(audience)) {
    throw unauthorized(
      ctx,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${result.claims.aud}'. It should exactly match with one of the allowed audiences ${[...acceptedArmAudiences(ctx.urls.arm)].map((a) => `'${a}'`).join(',')}.`,
    );
  }
  return result.claims;
}
