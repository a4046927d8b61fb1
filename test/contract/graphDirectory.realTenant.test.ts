import { readFileSync } from 'node:fs';
import { loadConfig } from '../../shared/config';
import { createGraphTransport } from '../../shared/directory/createGraphDirectory';
import { GraphDirectory } from '../../shared/directory/graphDirectory';
import type { ContractObjects } from '../support/contractTenant';
import { directoryContract } from './directoryContract';

/**
 * The same contract against a real Microsoft Entra tenant. It runs when GRAPH_BASE_URL, TENANT_ID, credentials
 * (AZURE_CLIENT_ID and AZURE_CLIENT_SECRET of an app with User.ReadWrite.All, GroupMember.ReadWrite.All,
 * AppRoleAssignment.ReadWrite.All, Sites.Read.All, User.Invite.All, RoleManagement.Read.Directory and Mail.Send)
 * and DIRECTORY_CONTRACT_OBJECTS (a JSON file of ContractObjects that exist in that tenant, the administrator
 * holding one role across the tenant and another within an administrative unit) are set; otherwise it is skipped
 * and says why.
 */
const required = ['GRAPH_BASE_URL', 'TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'DIRECTORY_CONTRACT_OBJECTS'];
const missing = required.filter((name) => !process.env[name]);

if (missing.length > 0) {
  // Printed so that a skipped run is never mistaken for a passing one.
  process.stdout.write(`Directory contract against a real tenant skipped: ${missing.join(', ')} not set.\n`);
}

(missing.length === 0 ? describe : describe.skip)('GraphDirectory against a real tenant', () => {
  directoryContract(
    () => {
      const config = loadConfig({ ...process.env, AzureWebJobsStorage: 'UseDevelopmentStorage=true', AUTH_MODE: 'easyauth' });
      const transport = createGraphTransport(config);
      const objects = JSON.parse(readFileSync(process.env.DIRECTORY_CONTRACT_OBJECTS!, 'utf8')) as ContractObjects;
      return {
        directory: new GraphDirectory(transport, { mailSender: objects.mailSender, siteRoles: 'unsupported' }),
        objects,
        updateUser: async (userId, attributes) => {
          await transport.send('PATCH', `/users/${encodeURIComponent(userId)}`, attributes);
        },
      };
    },
    { grantsSiteRolesToUsers: false },
  );
});
