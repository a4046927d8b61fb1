import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { callJson, RestCallError } from './azureRest';

/**
 * `npm run init-secrets` (azure.yaml runs it after provisioning): gives the Key Vault its two secrets the first time,
 * and never touches one that exists, so a rerun of `azd up` keeps the keys HR systems and auditors rely on.
 * Values are made here and go straight to the vault: no template, parameter file or azd environment holds them.
 */
export const SECRETS = {
  // The app settings' Key Vault references name these secrets (infra/modules/keyVault.bicep).
  'hr-webhook-secret': () => `whsec_${randomBytes(32).toString('base64')}`,
  'archive-signing-key': () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
} as const;

export type SecretName = keyof typeof SECRETS;

const API = 'api-version=7.4';
const SCOPE = 'https://vault.azure.net/.default';

export async function initSecrets(vaultUri: string, credential: TokenCredential): Promise<{ name: SecretName; outcome: 'kept' | 'created' }[]> {
  const base = vaultUri.replace(/\/+$/, '');
  const outcomes: { name: SecretName; outcome: 'kept' | 'created' }[] = [];
  for (const name of Object.keys(SECRETS) as SecretName[]) {
    const exists = await callJson(credential, SCOPE, 'GET', `${base}/secrets/${name}?${API}`).then(
      () => true,
      (error: unknown) => {
        if (error instanceof RestCallError && error.status === 404) return false;
        throw error;
      },
    );
    if (!exists) await callJson(credential, SCOPE, 'PUT', `${base}/secrets/${name}?${API}`, { body: { value: SECRETS[name]() } });
    outcomes.push({ name, outcome: exists ? 'kept' : 'created' });
  }
  return outcomes;
}

if (require.main === module) {
  const vaultUri = process.env.KEY_VAULT_URI;
  if (!vaultUri) {
    process.stderr.write('KEY_VAULT_URI is not set: run this through azd (a postprovision hook), or set it to the vault URI.\n');
    process.exit(1);
  }
  initSecrets(vaultUri, new DefaultAzureCredential()).then(
    (outcomes) => {
      for (const { name, outcome } of outcomes) process.stdout.write(`${name}: ${outcome === 'kept' ? 'exists, kept' : 'created'}\n`);
    },
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
