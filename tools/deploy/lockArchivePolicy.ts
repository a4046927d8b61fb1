import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { callJson } from './azureRest';

/**
 * `npm run lock-archive-policy` (azure.yaml runs it after provisioning): when the deployment asked for it
 * (lockArchiveImmutability), locks the audit-archive container's time-based retention policy. Resource Manager
 * templates cannot lock a policy: locking is an action on the policy's current ETag. Locked is final: the period
 * can then only be extended, and no one, the subscription owner included, can delete an archived file before it ends.
 */
const API = 'api-version=2023-05-01';
const SCOPE = 'https://management.azure.com/.default';

export async function lockArchivePolicy(policyId: string, credential: TokenCredential, armUrl = 'https://management.azure.com'): Promise<'locked' | 'already locked'> {
  const url = `${armUrl}${policyId}`;
  const policy = await callJson<{ etag?: string; properties: { state: string } }>(credential, SCOPE, 'GET', `${url}?${API}`);
  if (policy.body.properties.state === 'Locked') return 'already locked';
  const etag = policy.body.etag ?? policy.etag;
  if (!etag) throw new Error(`${policyId} came without an ETag; it cannot be locked safely.`);
  await callJson(credential, SCOPE, 'POST', `${url}/lock?${API}`, { headers: { 'if-match': etag } });
  return 'locked';
}

if (require.main === module) {
  const { ARCHIVE_LOCK_IMMUTABILITY: wanted, ARCHIVE_IMMUTABILITY_POLICY_ID: policyId } = process.env;
  if (wanted !== 'true') {
    process.stdout.write('audit-archive immutability policy: left unlocked (lockArchiveImmutability is false).\n');
  } else if (!policyId) {
    process.stderr.write('ARCHIVE_IMMUTABILITY_POLICY_ID is not set: run this through azd (a postprovision hook).\n');
    process.exit(1);
  } else {
    lockArchivePolicy(policyId, new DefaultAzureCredential()).then(
      (outcome) => process.stdout.write(`audit-archive immutability policy: ${outcome}.\n`),
      (error: Error) => {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
      },
    );
  }
}
