import { z } from 'zod';
import { describeJson, enumIgnoringCase, expected, graphObject, guid, isJsonObject, odataTypeName, optionalText, parseWithin, text } from '../policies/graphValues';
import { IDENTITY_SOURCE_TYPES, type IdentitySource, type IdentitySourceType } from './connectedOrganization';

const MAX_DISPLAY_NAME_LENGTH = 256;
const MAX_DESCRIPTION_LENGTH = 1024;
const MAX_ISSUER_URI_LENGTH = 2048;
/** A DNS name of two or more labels, each 1 to 63 letters, digits or inner hyphens; 253 characters at most. */
const DOMAIN_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

const domainName = () =>
  z
    .string({ error: expected('a domain name') })
    .refine((value) => DOMAIN_NAME.test(value), { error: (issue) => `${describeJson(issue.input)} is not a domain name such as contoso.com` })
    .transform((value) => value.toLowerCase());

const issuerUri = z
  .string({ error: expected('an absolute URI') })
  .refine((value) => value.length <= MAX_ISSUER_URI_LENGTH && URL.canParse(value), { error: (issue) => `${describeJson(issue.input)} is not an absolute URI` })
  .nullish()
  .transform((value) => value ?? null);

const displayName = optionalText(MAX_DISPLAY_NAME_LENGTH);

const SOURCES: { [T in IdentitySourceType]: z.ZodType<Omit<Extract<IdentitySource, { '@odata.type': `#microsoft.graph.${T}` }>, '@odata.type'>, unknown> } = {
  azureActiveDirectoryTenant: graphObject('azureActiveDirectoryTenant', { tenantId: guid(), displayName }),
  domainIdentitySource: graphObject('domainIdentitySource', { domainName: domainName(), displayName }),
  externalDomainFederation: graphObject('externalDomainFederation', { domainName: domainName(), displayName, issuerUri }),
};

const TYPES_BY_LOWER_CASE = new Map<string, IdentitySourceType>(IDENTITY_SOURCE_TYPES.map((type) => [type.toLowerCase(), type]));
/** Graph's other identity sources: real types, but not ones an organization can be connected by here. */
const UNSUPPORTED_TYPES = new Set(['crosscloudazureactivedirectorytenant', 'socialidentitysource']);

/** One identity source, chosen by its (required) `@odata.type`. */
const identitySource = z.unknown().transform((value, ctx): IdentitySource => {
  if (!isJsonObject(value)) {
    ctx.addIssue({ code: 'custom', message: expected('an identity source object')({ input: value }) });
    return z.NEVER;
  }
  const declared = value['@odata.type'];
  const written = odataTypeName(declared)?.toLowerCase() ?? '';
  const type = TYPES_BY_LOWER_CASE.get(written);
  if (type === undefined) {
    const problem =
      declared === undefined
        ? 'is required, for example #microsoft.graph.azureActiveDirectoryTenant'
        : `${describeJson(declared)} is not ${UNSUPPORTED_TYPES.has(written) ? 'supported for connected organizations' : 'an identity source type'}`;
    ctx.addIssue({ code: 'custom', path: ['@odata.type'], message: `${problem}; use one of ${IDENTITY_SOURCE_TYPES.map((t) => `#microsoft.graph.${t}`).join(', ')}` });
    return z.NEVER;
  }
  const fields = parseWithin(SOURCES[type] as z.ZodType<object>, value, ctx);
  return fields === undefined ? z.NEVER : ({ '@odata.type': `#microsoft.graph.${type}`, ...fields } as IdentitySource);
});

const identitySources = z.array(identitySource, { error: expected('an array of identity sources') });
const state = enumIgnoringCase(['configured', 'proposed']);

const organizationFields = {
  displayName: text(MAX_DISPLAY_NAME_LENGTH),
  description: optionalText(MAX_DESCRIPTION_LENGTH),
  state,
};

/** POST: a name, exactly one identity source (as Graph requires at creation), and `configured` unless told otherwise. */
export const newOrganizationInput = graphObject('connectedOrganization', {
  ...organizationFields,
  state: state.optional(),
  identitySources: identitySources.refine((sources) => sources.length === 1, {
    error: (issue) => `a connected organization is created with exactly one identity source (got ${String((issue.input as unknown[]).length)})`,
  }),
});

/** PATCH: any of the fields; `identitySources` is accepted only unchanged (see updateConnectedOrganization). */
export const organizationChangeInput = graphObject('connectedOrganization', {
  displayName: organizationFields.displayName.optional(),
  // Absent leaves the description as it is; null clears it.
  description: z.string({ error: expected('a string') }).max(MAX_DESCRIPTION_LENGTH).nullable().optional(),
  state: state.optional(),
  identitySources: identitySources.optional(),
});
