import { createHash } from 'node:crypto';

/**
 * A GUID-shaped id that is the same for the same parts, everywhere. Entities that must exist once per origin (the
 * General catalog, a resource per catalog and origin) get one, so two concurrent creations collide on insert.
 */
export function deterministicId(...parts: readonly string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
