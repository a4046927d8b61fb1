import type { AssertionKind, CharTest, Shorthand } from './patternSyntax';
import type { Instruction } from './patternProgram';

const SHORTHAND_TESTS: Record<Shorthand, RegExp> = {
  digit: /^\p{Nd}$/u,
  word: /^[\p{L}\p{Mn}\p{Nd}\p{Pc}]$/u,
  space: /^\s$/u,
};

/** One input character with its case variants (itself, when matching case-sensitively), computed once per position. */
interface Position {
  char: string;
  lower: string;
  upper: string;
}

/**
 * Whether the program matches anywhere in the input (an unanchored search, like .NET's Regex.IsMatch), case
 * insensitively unless `caseSensitive`. A Pike VM without captures: the set of live instructions advances one
 * character at a time and each instruction is visited at most once per character, so the cost is linear in the input.
 */
export function runProgram(program: readonly Instruction[], input: string, caseSensitive = false): boolean {
  const chars = Array.from(input);
  const walk: Walk = { program, chars, visited: new Uint32Array(program.length), generation: 1, pending: [] };
  let threads: number[] = [];
  for (let at = 0; ; at += 1) {
    if (follow(walk, 0, at, threads)) return true;
    if (at === chars.length) return false;
    const char = chars[at] as string;
    const position: Position = caseSensitive ? { char, lower: char, upper: char } : { char, lower: char.toLowerCase(), upper: char.toUpperCase() };
    const next: number[] = [];
    walk.generation += 1;
    for (const pc of threads) {
      if (consumes(program[pc] as Instruction, position) && follow(walk, pc + 1, at + 1, next)) return true;
    }
    threads = next;
  }
}

/** The state of one run: `visited[pc] === generation` marks instructions already reached at this character. */
interface Walk {
  program: readonly Instruction[];
  chars: readonly string[];
  visited: Uint32Array;
  generation: number;
  pending: number[];
}

/** Adds the instructions reachable from `start` without consuming input; true when one of them is `match`. */
function follow(walk: Walk, start: number, at: number, threads: number[]): boolean {
  const { program, chars, visited, generation, pending } = walk;
  pending.length = 0;
  pending.push(start);
  while (pending.length > 0) {
    const pc = pending.pop() as number;
    if (visited[pc] === generation) continue;
    visited[pc] = generation;
    const instruction = program[pc] as Instruction;
    switch (instruction.op) {
      case 'match':
        return true;
      case 'jump':
        pending.push(instruction.to);
        break;
      case 'split':
        pending.push(instruction.second, instruction.first);
        break;
      case 'assert':
        if (holds(instruction.kind, at, chars)) pending.push(pc + 1);
        break;
      default:
        threads.push(pc);
    }
  }
  return false;
}

function holds(kind: AssertionKind, at: number, chars: readonly string[]): boolean {
  switch (kind) {
    case 'start':
      return at === 0;
    case 'end':
      // .NET's $ also matches before a final newline.
      return at === chars.length || (at === chars.length - 1 && chars[at] === '\n');
    case 'inputEnd':
      return at === chars.length;
    case 'wordBoundary':
      return isWordChar(chars[at - 1]) !== isWordChar(chars[at]);
    case 'notWordBoundary':
      return isWordChar(chars[at - 1]) === isWordChar(chars[at]);
  }
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && SHORTHAND_TESTS.word.test(char);
}

function consumes(instruction: Instruction, position: Position): boolean {
  switch (instruction.op) {
    case 'char':
      return position.lower === instruction.char;
    case 'anyButNewline':
      return position.char !== '\n';
    case 'set':
      return instruction.tests.some((test) => passes(test, position)) !== instruction.negated;
    default:
      return false;
  }
}

/** Ranges compare the character and its case variants, so `[a-z]` takes `Q` as Entra's case-insensitive match does. */
function passes(test: CharTest, position: Position): boolean {
  if (test.kind === 'shorthand') return SHORTHAND_TESTS[test.shorthand].test(position.char) !== test.negated;
  return inRange(position.char, test) || inRange(position.lower, test) || inRange(position.upper, test);
}

function inRange(variant: string, range: { from: number; to: number }): boolean {
  const code = variant.codePointAt(0) as number;
  return code >= range.from && code <= range.to;
}
