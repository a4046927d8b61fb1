export * from './assignmentPolicy';
export { parsePolicyInput } from './policyInput';
