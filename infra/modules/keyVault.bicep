// The app's secrets: HR_WEBHOOK_SECRET and ARCHIVE_SIGNING_KEY. The app settings hold Key Vault references, never
// the values. The secrets' values are made once by `npm run init-secrets` (an azure.yaml hook), which writes a
// secret only when it does not exist yet, so neither a template nor a parameter file ever carries them.
param name string
param location string
param tags object
param appIdentityPrincipalId string
param deployerPrincipalId string
@allowed(['User', 'ServicePrincipal'])
param deployerPrincipalType string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User: read secret values
var secretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // Key Vault Secrets Officer: create and rotate them

resource appReadsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, appIdentityPrincipalId, secretsUser)
  properties: {
    principalId: appIdentityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
  }
}

resource deployerWritesSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  scope: vault
  name: guid(vault.id, deployerPrincipalId, secretsOfficer)
  properties: {
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
  }
}

// Versionless references: the app picks up a new version within a day, or at once on restart (README: rotate).
output hrWebhookSecretReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/hr-webhook-secret/)'
output archiveSigningKeyReference string = '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/archive-signing-key/)'
output name string = vault.name
output uri string = vault.properties.vaultUri
