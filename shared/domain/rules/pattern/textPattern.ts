import { runProgram } from './patternMatcher';
import { compileProgram } from './patternProgram';
import { parsePattern, type PatternNode } from './patternSyntax';

/** A compiled -match pattern. */
export interface TextPattern {
  test(input: string): boolean;
}

export interface PatternOptions {
  /** Literals and ranges match only their own case (the rule language's -match ignores case; answer patterns do not). */
  caseSensitive?: boolean;
  /** The pattern must match the whole input, as a form field's pattern does, not just somewhere in it. */
  wholeInput?: boolean;
}

/**
 * Compiles a pattern for the linear-time matcher, or throws PatternError. Node has no RE2 and a backtracking
 * RegExp can take exponential time on patterns like `(a+)+$`, so patterns never reach RegExp.
 */
export function compilePattern(source: string, options: PatternOptions = {}): TextPattern {
  const parsed = parsePattern(source);
  // Wrapped as parsed nodes, not as text: `a)(b` stays refused instead of balancing inside `\A(?:...)\z`.
  const node: PatternNode = options.wholeInput
    ? { type: 'sequence', items: [{ type: 'assertion', kind: 'start' }, parsed, { type: 'assertion', kind: 'inputEnd' }] }
    : parsed;
  const caseSensitive = options.caseSensitive ?? false;
  const program = compileProgram(node, caseSensitive);
  return { test: (input) => runProgram(program, input, caseSensitive) };
}
