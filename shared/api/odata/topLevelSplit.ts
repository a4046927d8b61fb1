import { invalidOption } from './invalidQuery';

/**
 * Splits at each separator outside parentheses and quoted strings, so `a($filter=x eq 'b,c'),d` is two items.
 * Unbalanced parentheses and unterminated strings are 400s naming the option.
 */
export function splitTopLevel(text: string, separator: ',' | ';', option: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let partStart = 0;
  let quoteStart: number | undefined;
  for (let at = 0; at < text.length; at++) {
    const char = text.charAt(at);
    if (quoteStart !== undefined) {
      // A doubled quote inside a string closes and reopens it, which leaves it open as it should be.
      if (char === "'") quoteStart = undefined;
    } else if (char === "'") {
      quoteStart = at;
    } else if (char === '(') {
      depth++;
    } else if (char === ')') {
      if (--depth < 0) throw invalidOption(option, `unbalanced ')' at position ${at} in '${text}'`);
    } else if (char === separator && depth === 0) {
      parts.push(text.slice(partStart, at));
      partStart = at + 1;
    }
  }
  if (quoteStart !== undefined) throw invalidOption(option, `unterminated string starting at position ${quoteStart} in '${text}'`);
  if (depth > 0) throw invalidOption(option, `missing ')' in '${text}'`);
  parts.push(text.slice(partStart));
  return parts;
}
