import type { ArmTarget } from '@podid/crd-types';
import { ArmAssignerError } from './errors.js';

/** ARM resource names and resource groups never contain these; a subscription ID is never empty. */
const FORBIDDEN_IN_SEGMENT = /[/?#%\\]/;

/**
 * Catches targets that would build a wrong ARM URL (a `/` in a name would address another resource) before any
 * call is made. Returns the error, or undefined when the target is usable.
 */
export function validateArmTarget(target: ArmTarget): ArmAssignerError | undefined {
  if (target.kind !== 'vm' && target.kind !== 'vmss') {
    return new ArmAssignerError(
      'invalid_target',
      `unknown target kind ${JSON.stringify(target.kind)}, want vm or vmss`,
    );
  }
  for (const field of ['subscriptionId', 'resourceGroup', 'name'] as const) {
    const value = target[field];
    if (typeof value !== 'string' || value.trim() === '' || FORBIDDEN_IN_SEGMENT.test(value)) {
      return new ArmAssignerError(
        'invalid_target',
        `invalid ${target.kind} target: ${field} ${JSON.stringify(value)} must be a non-empty ARM name without / ? # % \\`,
      );
    }
  }
  return undefined;
}
