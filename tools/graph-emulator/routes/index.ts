import type { Route } from '../router';
import { appRoleAssignmentRoutes } from './appRoleAssignments';
import { groupDeltaRoutes } from './groupDelta';
import { groupMemberRoutes } from './groupMembers';
import { groupRoutes } from './groups';
import { invitationRoutes } from './invitations';
import { organizationRoutes } from './organization';
import { roleManagementRoutes } from './roleManagement';
import { sendMailRoutes } from './sendMail';
import { servicePrincipalRoutes } from './servicePrincipals';
import { siteRoutes } from './sites';
import { userDeltaRoutes } from './userDelta';
import { userRelationshipRoutes } from './userRelationships';
import { userRoutes } from './users';

/** Every Graph route the emulator serves. `/users/delta` comes before `/users/{id}`, which would also match it (and `/groups/delta` before `/groups/{id}`). */
export const GRAPH_ROUTES: readonly Route[] = [
  ...userDeltaRoutes,
  ...userRoutes,
  ...userRelationshipRoutes,
  ...sendMailRoutes,
  ...appRoleAssignmentRoutes,
  ...servicePrincipalRoutes,
  ...groupDeltaRoutes,
  ...groupRoutes,
  ...groupMemberRoutes,
  ...siteRoutes,
  ...invitationRoutes,
  ...roleManagementRoutes,
  ...organizationRoutes,
];
