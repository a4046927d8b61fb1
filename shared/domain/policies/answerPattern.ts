import { PatternError } from '../rules/pattern/patternError';
import { compilePattern, type TextPattern } from '../rules/pattern/textPattern';

/**
 * A text question's `regexPattern`, compiled for the rule language's linear-time matcher: a requestor's answer can
 * then never make the check backtrack for long, whatever the pattern. It matches the whole answer, case-sensitively;
 * the syntax is the matcher's (README, "Answer patterns"): constructs that need backtracking are refused.
 */
export function compileAnswerPattern(pattern: string): TextPattern {
  return compilePattern(pattern, { caseSensitive: true, wholeInput: true });
}

/** Why the matcher refuses a pattern (with the character it stopped at), or undefined when it accepts it. */
export function answerPatternProblem(pattern: string): string | undefined {
  try {
    compileAnswerPattern(pattern);
    return undefined;
  } catch (error) {
    if (!(error instanceof PatternError)) throw error;
    return `${error.message} (at character ${error.offset + 1})`;
  }
}
