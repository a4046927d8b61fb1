// The app's storage account: tables (Portcullis' data), queues, the deployment package and the audit archive.
// Reached by identity only: shared keys are off, so no connection string with a key exists anywhere.
param name string
param location string
param tags object
param appIdentityPrincipalId string
@description('Object id of the person or pipeline running the deployment; empty for none. Gets the same data roles, for `npm run verify-archive` and troubleshooting.')
param deployerPrincipalId string
@allowed(['User', 'ServicePrincipal'])
param deployerPrincipalType string
param deploymentContainerName string
@description('Days an archived blob can be neither changed nor deleted.')
@minValue(1)
param archiveImmutabilityDays int

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deploymentContainerName
}

// DESIGN §2.8: event files and signed digests. Time-based retention makes every blob write-once for the period.
resource archiveContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: 'audit-archive'
}

// Created unlocked: ARM cannot lock a policy (locking is a separate action on the policy's ETag), so main.bicep's
// lockArchiveImmutability is carried out after provisioning by `npm run lock-archive-policy` (an azure.yaml hook).
resource archiveRetention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: archiveContainer
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: archiveImmutabilityDays
    allowProtectedAppendWrites: false
  }
}

// Built-in role ids (Azure RBAC): blob data owner (the host's blob leases and the deployment package need more
// than contributor), queue and table data contributor.
var dataRoles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource appDataRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(dataRoles): {
    scope: account
    name: guid(account.id, appIdentityPrincipalId, role.value)
    properties: {
      principalId: appIdentityPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    }
  }
]

resource deployerDataRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(dataRoles): if (!empty(deployerPrincipalId)) {
    scope: account
    name: guid(account.id, deployerPrincipalId, role.value)
    properties: {
      principalId: deployerPrincipalId
      principalType: deployerPrincipalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
    }
  }
]

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output archiveImmutabilityPolicyId string = archiveRetention.id
