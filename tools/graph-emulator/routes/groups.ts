import { listCollection } from '../collections';
import type { GroupProperties, GroupRecord } from '../directoryRecords';
import { GROUP_TYPE, project, propertyKind, type Entity } from '../entityTypes';
import { badRequest, requireObjectBody } from '../graphErrors';
import { readQueryOptions } from '../odataQuery';
import { noContent, odataContext, ok } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { newMemberIds } from './groupMembers';
import { requireGroup } from './lookups';

const entity = (group: GroupRecord) => group.properties as unknown as Entity;
/** Graph allows up to 20 references in one `@odata.bind` PATCH. */
const MAX_BIND = 20;
const READ_ONLY = new Set(['id', 'mail', 'createdDateTime']);
const BIND_PROPERTIES = { 'members@odata.bind': 'members', 'owners@odata.bind': 'owners' } as const;

function listGroups(context: RouteContext) {
  return listCollection(context, {
    entitySet: 'groups',
    type: GROUP_TYPE,
    items: [...context.directory.groups()].map((group) => ({ seq: group.seq, entity: entity(group), type: GROUP_TYPE })),
  });
}

function getGroup(context: RouteContext) {
  const group = requireGroup(context.directory, context.params.id!);
  const options = readQueryOptions(context.query, { type: GROUP_TYPE, allowed: ['select'] });
  return ok({ '@odata.context': odataContext(context.origin, 'groups', options.select, true), ...project(entity(group), GROUP_TYPE, options.select) });
}

/**
 * Property changes and `members@odata.bind` / `owners@odata.bind` additions, all or nothing: one unknown object
 * (404) or one that is already there (400) and nothing changes.
 */
function updateGroup(context: RouteContext) {
  const { directory } = context;
  const group = requireGroup(directory, context.params.id!);
  const changes: Record<string, unknown> = {};
  const additions: Array<{ relationship: 'members' | 'owners'; references: unknown[] }> = [];
  for (const [name, value] of Object.entries(requireObjectBody(context.body))) {
    if (name === 'members@odata.bind' || name === 'owners@odata.bind') {
      if (!Array.isArray(value)) throw badRequest(`Invalid URL format specified in ${name}.`);
      if (value.length > MAX_BIND) throw badRequest(`At most ${MAX_BIND} objects can be added in one request; ${name} has ${value.length}.`);
      additions.push({ relationship: BIND_PROPERTIES[name], references: value });
    } else {
      changes[name] = checkedGroupProperty(name, value);
    }
  }
  const resolved = additions.map(({ relationship, references }) => ({
    relationship,
    ids: newMemberIds(directory, group, relationship, references, `${relationship}@odata.bind`),
  }));
  directory.updateGroup(group, changes as Partial<GroupProperties>);
  for (const { relationship, ids } of resolved) directory.addGroupMembers(group, relationship, ids);
  return noContent();
}

function checkedGroupProperty(name: string, value: unknown): unknown {
  const kind = propertyKind(GROUP_TYPE, name);
  if (kind === undefined) throw badRequest(`Property '${name}' does not exist as a declared property or extension property.`);
  if (READ_ONLY.has(name)) throw badRequest(`Property '${name}' is read-only and cannot be set.`);
  const valid =
    (kind === 'boolean' && typeof value === 'boolean') ||
    (kind === 'stringCollection' && Array.isArray(value) && value.every((v) => typeof v === 'string')) ||
    (kind === 'string' && (typeof value === 'string' ? value.trim() !== '' : value === null && name === 'description'));
  if (!valid) throw badRequest(`Invalid value specified for property '${name}' of resource 'Group'.`);
  return value;
}

export const groupRoutes: readonly Route[] = [
  route('GET', '/groups', listGroups),
  route('GET', '/groups/{id}', getGroup),
  route('PATCH', '/groups/{id}', updateGroup),
];
