import { declaredName } from './capabilities';
import { invalidOption } from './invalidQuery';

/** `$select=a,b`: each name must be selectable; a name written twice is selected once. */
export function parseSelect(text: string, selectable: readonly string[], option = '$select'): string[] {
  const names = text.split(',').map((written) => {
    const trimmed = written.trim();
    if (trimmed === '') throw invalidOption(option, `empty property name in '${text}'`);
    const name = declaredName(selectable, trimmed);
    if (name === undefined) throw invalidOption(option, `unknown property '${trimmed}'. Selectable here: ${selectable.join(', ')}`);
    return name;
  });
  return [...new Set(names)];
}

/**
 * The entity with only the selected properties and the always-kept ones (`id`, expanded navigation properties);
 * the entity itself when nothing was selected.
 */
export function selectProperties(entity: Record<string, unknown>, select: string[] | undefined, keep: string[]): Record<string, unknown> {
  if (select === undefined) return entity;
  const wanted = new Set([...select, ...keep]);
  return Object.fromEntries(Object.entries(entity).filter(([key]) => wanted.has(key)));
}
