/**
 * SelfSubjectAccessReview, SelfSubjectRulesReview and SelfSubjectReview, answered from the emulator's auth model:
 * the one bearer token (or no token at all) is the only identity and nothing is authorized per request, so every
 * request that gets in may do anything. The reviews say exactly that: allowed, all rules, one user in
 * `system:masters`. RBAC objects are stored but deliberately not evaluated: answering from them would describe an
 * enforcement the emulator does not do.
 */
import { apiVersionOf, type KubeObject, type ResourceType } from './resource-types.js';
import { badRequest, invalid } from './status-errors.js';

export const EMULATOR_USER = { username: 'kube-emulator-admin', groups: ['system:masters', 'system:authenticated'] };
const REASON = 'kube-emulator does not enforce authorization: every authenticated request is allowed';

function isObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function answerReview(rt: ResourceType, body: unknown): KubeObject {
  if (!isObject(body))
    throw badRequest(`${rt.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}: expected an object`);
  const spec = isObject(body['spec']) ? body['spec'] : {};
  const base = {
    kind: rt.kind,
    apiVersion: apiVersionOf(rt),
    metadata: { ...(isObject(body['metadata']) ? body['metadata'] : {}), creationTimestamp: null },
  };
  switch (rt.kind) {
    case 'SelfSubjectAccessReview': {
      const byResource = isObject(spec['resourceAttributes']);
      const byUrl = isObject(spec['nonResourceAttributes']);
      if (byResource === byUrl) {
        throw invalid({ group: rt.group, plural: rt.plural }, `${rt.kind}.${rt.group}`, '', [
          {
            reason: 'FieldValueInvalid',
            message: `Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified`,
            field: 'spec.resourceAttributes',
          },
        ]);
      }
      return { ...base, spec, status: { allowed: true, reason: REASON } };
    }
    case 'SelfSubjectRulesReview':
      return {
        ...base,
        spec,
        status: {
          resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
          nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          incomplete: false,
        },
      };
    default:
      return { ...base, status: { userInfo: EMULATOR_USER } };
  }
}
