// Microsoft Graph application permissions for the app's managed identity: one app role assignment on the
// Microsoft Graph service principal per permission of ../graph-permissions.json (which also lists why each is
// needed, and which `npm run grant-graph-permissions` reads too). Granting Graph app roles needs a Privileged Role
// Administrator (or Global Administrator): Azure Owner is not enough. Without that role, deploy with
// grantGraphPermissions=false and let an administrator run the script.
extension microsoftGraphV1

param appIdentityPrincipalId string

var graph = loadJsonContent('../graph-permissions.json')

resource graphServicePrincipal 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graph.resourceAppId
}

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for permission in graph.permissions: {
    principalId: appIdentityPrincipalId
    resourceId: graphServicePrincipal.id
    appRoleId: filter(graphServicePrincipal.appRoles, role => role.value == permission.value)[0].id
  }
]

output granted array = map(graph.permissions, p => p.value)
