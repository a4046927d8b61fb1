// The one identity the function app runs as: it reads storage, Key Vault and Microsoft Graph, and signs users in
// (as the federated credential of the sign-in app registration). User-assigned, so it exists before the app and
// its role assignments and Graph grants can be made in the same deployment.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
