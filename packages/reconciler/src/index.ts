// ARM identity PATCH planning (§2.10)
export { planArmPatch } from './arm-patch-plan.js';
