import { z } from 'zod';
import { SUBJECT_SET_TYPES, type SubjectSet, type SubjectSetType } from './assignmentPolicy';
import {
  describeJson,
  expected,
  graphObject,
  guid,
  isJsonObject,
  list,
  odataTypeName,
  optionalText,
  parseWithin,
  text,
  wholeNumber,
} from './graphValues';

/** Entra's limit on the subjects in one list of a policy. */
const MAX_SUBJECT_SETS = 500;
export const MAX_DESCRIPTION_LENGTH = 1024;
const MAX_MEMBERSHIP_RULE_LENGTH = 3072;
/** Entra offers the manager and the second-level manager; a little room above that, but no unbounded chain walk. */
const MAX_MANAGER_LEVEL = 10;

/** Who may appear in each list of a policy, from the v1.0 docs of the lists. */
const ALLOWED_TYPES = {
  approvers: ['singleUser', 'groupMembers', 'requestorManager', 'internalSponsors', 'externalSponsors', 'targetUserSponsors'],
  allowedTargets: ['singleUser', 'groupMembers', 'connectedOrganizationMembers', 'attributeRuleMembers', 'singleServicePrincipal'],
  onBehalfRequestors: ['singleUser', 'groupMembers', 'targetManager', 'targetApplicationOwners'],
  reviewers: ['singleUser', 'groupMembers', 'requestorManager', 'targetUserSponsors'],
} as const satisfies Record<string, readonly SubjectSetType[]>;
type SubjectSetUse = keyof typeof ALLOWED_TYPES;

/** The property that names each type's subject; the beta shape calls it `id`. */
export const SUBJECT_ID_FIELDS = {
  singleUser: 'userId',
  groupMembers: 'groupId',
  connectedOrganizationMembers: 'connectedOrganizationId',
  singleServicePrincipal: 'servicePrincipalId',
} as const satisfies Partial<Record<SubjectSetType, string>>;

type FieldsOf<T extends SubjectSetType> = Omit<Extract<SubjectSet, { '@odata.type': `#microsoft.graph.${T}` }>, '@odata.type'>;

const description = optionalText(MAX_DESCRIPTION_LENGTH);
const managerLevel = wholeNumber(1, MAX_MANAGER_LEVEL, 1);

const FIELDS: { [T in SubjectSetType]: z.ZodType<FieldsOf<T>, unknown> } = {
  singleUser: graphObject('singleUser', { userId: guid(), description }),
  groupMembers: graphObject('groupMembers', { groupId: guid(), description }),
  connectedOrganizationMembers: graphObject('connectedOrganizationMembers', { connectedOrganizationId: guid(), description }),
  attributeRuleMembers: graphObject('attributeRuleMembers', { membershipRule: text(MAX_MEMBERSHIP_RULE_LENGTH), description }),
  singleServicePrincipal: graphObject('singleServicePrincipal', { servicePrincipalId: guid(), description }),
  requestorManager: graphObject('requestorManager', { managerLevel }),
  targetManager: graphObject('targetManager', { managerLevel }),
  internalSponsors: graphObject('internalSponsors', {}),
  externalSponsors: graphObject('externalSponsors', {}),
  targetUserSponsors: graphObject('targetUserSponsors', {}),
  targetApplicationOwners: graphObject('targetApplicationOwners', {}),
};

const TYPES_BY_LOWER_CASE = new Map<string, SubjectSetType>(SUBJECT_SET_TYPES.map((type) => [type.toLowerCase(), type]));

export function subjectSetType(odataType: unknown): SubjectSetType | undefined {
  return TYPES_BY_LOWER_CASE.get(odataTypeName(odataType)?.toLowerCase() ?? '');
}

function subjectSet(use: SubjectSetUse) {
  const allowed: readonly SubjectSetType[] = ALLOWED_TYPES[use];
  return z.unknown().transform((value, ctx): SubjectSet => {
    if (!isJsonObject(value)) {
      ctx.addIssue({ code: 'custom', message: expected('a subject set object')({ input: value }) });
      return z.NEVER;
    }
    const declared = value['@odata.type'];
    const type = subjectSetType(declared);
    if (!type || !allowed.includes(type)) {
      const problem =
        declared === undefined
          ? 'is required, for example #microsoft.graph.singleUser'
          : `${describeJson(declared)} is not ${type ? 'allowed here' : 'a subject set type'}`;
      ctx.addIssue({ code: 'custom', path: ['@odata.type'], message: `${problem}; use one of ${allowed.join(', ')}` });
      return z.NEVER;
    }
    const fields = parseWithin(FIELDS[type], value, ctx);
    return fields === undefined ? z.NEVER : ({ '@odata.type': `#microsoft.graph.${type}`, ...fields } as SubjectSet);
  });
}

/** A list of subject sets for one use; absent or null is empty. */
export function subjectSets(use: SubjectSetUse) {
  return list(subjectSet(use), MAX_SUBJECT_SETS, 'subject sets');
}

export function typeOf(subject: SubjectSet): SubjectSetType {
  return subject['@odata.type'].slice('#microsoft.graph.'.length) as SubjectSetType;
}
