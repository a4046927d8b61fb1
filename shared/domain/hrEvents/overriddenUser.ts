import { isReadFromDirectory, type DirectoryUser } from '../directoryUser';
import { userAttribute } from '../rules/attributes';
import { TIME_BASED_ATTRIBUTES } from '../workflows/workflow';
import type { AttributeValue } from './attributeOverrides';

/** A user's properties as Graph names them (the manager aside): what workflow scopes and triggers read. */
type UserProperties = Omit<DirectoryUser, 'managerId'>;

/** Trigger dates no rule reads, by lower-case name: the leave date a leaver event sets. */
const TRIGGER_DATES: ReadonlyMap<string, string> = new Map(TIME_BASED_ATTRIBUTES.map((name) => [name.toLowerCase(), name]));

/**
 * Where an override lands on the user: a property by Graph's name (`physicaldeliveryofficename` is `officeLocation`),
 * or one of the extension attributes. Undefined for what the user does not carry, and for lists (no scope or
 * trigger reads one), so a list's null never stands where a list belongs.
 */
function placeOf(name: string): { property: string } | { extensionAttribute: string } | undefined {
  const attribute = userAttribute(name);
  if (!attribute) {
    const date = TRIGGER_DATES.get(name);
    return date === undefined ? undefined : { property: date };
  }
  const { property, type } = attribute;
  if (property === 'onPremisesExtensionAttributes') return { extensionAttribute: attribute.name.slice('user.'.length) };
  const single = type === 'string' || type === 'boolean' || type === 'dateTime';
  return single && property !== undefined && property !== 'id' && isReadFromDirectory(property) ? { property } : undefined;
}

/**
 * The user with the overrides that count now (activeOverrides: by the rule language's name in lower case) in place
 * of the directory's values, for what reads a user by Graph's property names rather than through the rule language.
 * The rule language's attribute table says which property each name stands for; a trigger date is set even when
 * the directory's read has no such key.
 */
export function withOverriddenAttributes<U extends UserProperties>(user: U, active: ReadonlyMap<string, AttributeValue>): U {
  const properties: Record<string, string | boolean | null> = {};
  const extensionAttributes: Record<string, string | null> = {};
  for (const [name, value] of active) {
    const place = placeOf(name);
    if (!place || Array.isArray(value)) continue;
    if ('property' in place) properties[place.property] = value;
    else if (typeof value !== 'boolean') extensionAttributes[place.extensionAttribute] = value;
  }
  if (Object.keys(properties).length === 0 && Object.keys(extensionAttributes).length === 0) return user;
  return { ...user, ...properties, onPremisesExtensionAttributes: { ...user.onPremisesExtensionAttributes, ...extensionAttributes } };
}
