import { runProgram } from './patternMatcher';
import { compileProgram } from './patternProgram';
import { parsePattern } from './patternSyntax';

/** A compiled -match pattern. */
export interface TextPattern {
  test(input: string): boolean;
}

/**
 * Compiles a -match pattern for the linear-time matcher, or throws PatternError. Node has no RE2 and a
 * backtracking RegExp can take exponential time on patterns like `(a+)+$`, so patterns never reach RegExp.
 */
export function compilePattern(source: string): TextPattern {
  const program = compileProgram(parsePattern(source));
  return { test: (input) => runProgram(program, input) };
}
