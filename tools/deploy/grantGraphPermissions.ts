import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { callJson, RestCallError } from './azureRest';

/**
 * `npm run grant-graph-permissions`: gives the app's managed identity the Microsoft Graph application permissions
 * of infra/graph-permissions.json, for deployments that ran with grantGraphPermissions=false because the deployer
 * is not a Privileged Role Administrator. Run it as one. Idempotent: a permission already held is left alone.
 * `--dry-run` only says what it would grant.
 */
export interface PermissionList {
  resourceAppId: string;
  permissions: { value: string; why: string }[];
}

export interface Grant {
  permission: string;
  outcome: 'already granted' | 'granted' | 'would grant';
}

interface AppRole {
  id: string;
  value: string | null;
  allowedMemberTypes?: string[];
}

interface Page<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

export async function grantGraphPermissions(options: {
  graphUrl: string;
  principalId: string;
  list: PermissionList;
  credential: TokenCredential;
  dryRun: boolean;
}): Promise<Grant[]> {
  const { graphUrl, principalId, list, credential, dryRun } = options;
  const scope = `${graphUrl}/.default`;
  const get = async <T>(path: string) => (await callJson<T>(credential, scope, 'GET', `${graphUrl}/v1.0${path}`)).body;

  const found = await get<Page<{ id: string; appRoles: AppRole[] }>>(`/servicePrincipals?$filter=appId eq '${list.resourceAppId}'&$select=id,appRoles`);
  const resource = found.value[0];
  if (!resource) throw new Error(`Microsoft Graph (appId ${list.resourceAppId}) has no service principal in this tenant.`);
  await get(`/servicePrincipals/${encodeURIComponent(principalId)}?$select=id`).catch((error: unknown) => {
    if (error instanceof RestCallError && error.status === 404) throw new Error(`No service principal ${principalId}: give the managed identity's principal (object) id.`);
    throw error;
  });

  const held = new Set<string>();
  let next: string | undefined = `${graphUrl}/v1.0/servicePrincipals/${encodeURIComponent(principalId)}/appRoleAssignments?$select=appRoleId,resourceId`;
  while (next) {
    const page: Page<{ appRoleId: string; resourceId: string }> = (await callJson<Page<{ appRoleId: string; resourceId: string }>>(credential, scope, 'GET', next)).body;
    for (const assignment of page.value) if (assignment.resourceId === resource.id) held.add(assignment.appRoleId);
    next = page['@odata.nextLink'];
  }

  const grants: Grant[] = [];
  for (const { value } of list.permissions) {
    const role = resource.appRoles.find((candidate) => candidate.value === value && candidate.allowedMemberTypes?.includes('Application'));
    if (!role) throw new Error(`Microsoft Graph has no application permission ${value}.`);
    if (held.has(role.id)) grants.push({ permission: value, outcome: 'already granted' });
    else if (dryRun) grants.push({ permission: value, outcome: 'would grant' });
    else {
      await callJson(credential, scope, 'POST', `${graphUrl}/v1.0/servicePrincipals/${resource.id}/appRoleAssignedTo`, {
        body: { principalId, resourceId: resource.id, appRoleId: role.id },
      });
      grants.push({ permission: value, outcome: 'granted' });
    }
  }
  return grants;
}

export function readPermissionList(root: string): PermissionList {
  return JSON.parse(readFileSync(join(root, 'infra', 'graph-permissions.json'), 'utf8')) as PermissionList;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'principal-id': { type: 'string', default: process.env.APP_IDENTITY_PRINCIPAL_ID },
      'graph-url': { type: 'string', default: 'https://graph.microsoft.com' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const principalId = values['principal-id'];
  if (!principalId) throw new Error('Say whose permissions: --principal-id <object id of the managed identity> (azd sets APP_IDENTITY_PRINCIPAL_ID).');
  const list = readPermissionList(join(__dirname, '..', '..', '..'));
  const grants = await grantGraphPermissions({
    graphUrl: values['graph-url']!.replace(/\/+$/, ''),
    principalId,
    list,
    credential: new DefaultAzureCredential(),
    dryRun: values['dry-run']!,
  });
  for (const grant of grants) {
    const why = list.permissions.find((p) => p.value === grant.permission)?.why ?? '';
    process.stdout.write(`${grant.outcome.padEnd(16)} ${grant.permission.padEnd(32)} ${why}\n`);
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    const hint =
      error instanceof RestCallError && error.status === 403
        ? '\nGranting Microsoft Graph application permissions needs the Privileged Role Administrator role (or Global Administrator).'
        : '';
    process.stderr.write(`${error.message}${hint}\n`);
    process.exit(1);
  });
}
