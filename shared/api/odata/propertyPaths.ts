/** Reads a property path such as `resource/id` (entity.resource.id); undefined where any step is missing. */
export function readPath(entity: Record<string, unknown>, path: string): unknown {
  let value: unknown = entity;
  for (const segment of path.split('/')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}
