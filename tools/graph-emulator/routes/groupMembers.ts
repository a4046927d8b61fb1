import { listCollection, type CollectionItem } from '../collections';
import type { GroupRecord } from '../directoryRecords';
import type { DirectoryState } from '../directoryState';
import { DIRECTORY_OBJECT_TYPE } from '../entityTypes';
import { badRequest, requireObjectBody, resourceNotFound } from '../graphErrors';
import { directoryObjectItem } from '../representations';
import { noContent } from '../responses';
import { route, type Route, type RouteContext } from '../router';
import { referencedId, requireGroup } from './lookups';

const ALLOWED_TYPES = { members: ['user', 'group', 'servicePrincipal'], owners: ['user', 'servicePrincipal'] } as const;

/**
 * The ids of references to add to a group's members or owners, checked as Graph checks them: every object must
 * exist (404 naming the first that does not) and none may be there already (400), so that either all are added
 * or none.
 */
export function newMemberIds(
  directory: DirectoryState,
  group: GroupRecord,
  relationship: 'members' | 'owners',
  references: readonly unknown[],
  property: string,
): string[] {
  const ids = references.map((reference) => referencedId(reference, property));
  for (const id of ids) {
    const object = directory.directoryObject(id);
    if (!object) throw resourceNotFound(id);
    if (!(ALLOWED_TYPES[relationship] as readonly string[]).includes(object.type)) {
      throw badRequest(`An object of type '${object.type}' cannot be added to the ${relationship} of a group.`);
    }
    if (object.record === group) throw badRequest('A group cannot be a member of itself.');
  }
  const lowerIds = ids.map((id) => id.toLowerCase());
  if (lowerIds.some((id, index) => group[relationship].has(id) || lowerIds.indexOf(id) !== index)) {
    throw badRequest(`One or more added object references already exist for the following modified properties: '${relationship}'.`);
  }
  return lowerIds;
}

function listRelationship(relationship: 'members' | 'owners') {
  return (context: RouteContext) => {
    const group = requireGroup(context.directory, context.params.id!);
    const items = [...group[relationship]].flatMap(([id, seq]): CollectionItem[] => {
      const object = context.directory.directoryObject(id);
      return object ? [directoryObjectItem(object, seq)] : [];
    });
    return listCollection(context, { entitySet: 'directoryObjects', type: DIRECTORY_OBJECT_TYPE, items });
  };
}

function addReference(relationship: 'members' | 'owners') {
  return (context: RouteContext) => {
    const group = requireGroup(context.directory, context.params.id!);
    const reference = requireObjectBody(context.body)['@odata.id'];
    context.directory.addGroupMembers(group, relationship, newMemberIds(context.directory, group, relationship, [reference], '@odata.id'));
    return noContent();
  };
}

function removeReference(relationship: 'members' | 'owners') {
  return (context: RouteContext) => {
    const group = requireGroup(context.directory, context.params.id!);
    const objectId = context.params.memberId!;
    if (!context.directory.removeGroupMember(group, objectId, relationship)) throw resourceNotFound(objectId);
    return noContent();
  };
}

export const groupMemberRoutes: readonly Route[] = [
  route('GET', '/groups/{id}/members', listRelationship('members')),
  route('GET', '/groups/{id}/owners', listRelationship('owners')),
  route('POST', '/groups/{id}/members/$ref', addReference('members')),
  route('DELETE', '/groups/{id}/members/{memberId}/$ref', removeReference('members')),
  route('POST', '/groups/{id}/owners/$ref', addReference('owners')),
  route('DELETE', '/groups/{id}/owners/{memberId}/$ref', removeReference('owners')),
];
