import { PatternError } from './patternError';
import type { AssertionKind, CharTest, PatternNode } from './patternSyntax';

/**
 * A pattern compiled to a Thompson automaton as a small instruction list. The matcher runs all threads in step
 * (patternMatcher), so time is at most instructions × input length whatever the pattern: that is what keeps a
 * user-written `(a+)+$` from hanging a sweep. Literals are kept in lower case when matching ignores case.
 */
export type Instruction =
  | { op: 'char'; char: string }
  | { op: 'anyButNewline' }
  | { op: 'set'; negated: boolean; tests: readonly CharTest[] }
  | { op: 'assert'; kind: AssertionKind }
  | { op: 'split'; first: number; second: number }
  | { op: 'jump'; to: number }
  | { op: 'match' };

/** Bounds the work per character (counted repeats multiply the program): a few thousand steps at most. */
const MAX_INSTRUCTIONS = 5000;

export function compileProgram(node: PatternNode, caseSensitive = false): Instruction[] {
  const program: Instruction[] = [];
  emit(node, program, caseSensitive);
  program.push({ op: 'match' });
  return program;
}

function push(program: Instruction[], instruction: Instruction): number {
  if (program.length >= MAX_INSTRUCTIONS) throw new PatternError(0, 'the pattern is too large once its repeats are expanded');
  program.push(instruction);
  return program.length - 1;
}

function emit(node: PatternNode, program: Instruction[], caseSensitive: boolean): void {
  switch (node.type) {
    case 'empty':
      return;
    case 'literal':
      push(program, { op: 'char', char: caseSensitive ? node.char : node.char.toLowerCase() });
      return;
    case 'anyButNewline':
      push(program, { op: 'anyButNewline' });
      return;
    case 'set':
      push(program, { op: 'set', negated: node.negated, tests: node.tests });
      return;
    case 'assertion':
      push(program, { op: 'assert', kind: node.kind });
      return;
    case 'sequence':
      node.items.forEach((item) => emit(item, program, caseSensitive));
      return;
    case 'alternation':
      emitAlternation(node.options, program, caseSensitive);
      return;
    case 'repeat':
      emitRepeat(node.item, node.min, node.max, program, caseSensitive);
      return;
  }
}

/** split(option 1, split(option 2, ...)), each option jumping past the rest when done. */
function emitAlternation(options: readonly PatternNode[], program: Instruction[], caseSensitive: boolean): void {
  const exits: number[] = [];
  options.forEach((option, index) => {
    if (index === options.length - 1) {
      emit(option, program, caseSensitive);
      return;
    }
    const split = push(program, { op: 'split', first: 0, second: 0 });
    emit(option, program, caseSensitive);
    exits.push(push(program, { op: 'jump', to: 0 }));
    program[split] = { op: 'split', first: split + 1, second: program.length };
  });
  exits.forEach((exit) => (program[exit] = { op: 'jump', to: program.length }));
}

/** The item `min` times, then a loop (no upper bound) or `max - min` optional copies. */
function emitRepeat(item: PatternNode, min: number, max: number, program: Instruction[], caseSensitive: boolean): void {
  for (let copy = 0; copy < min; copy += 1) emit(item, program, caseSensitive);
  if (max === Infinity) {
    const loop = push(program, { op: 'split', first: 0, second: 0 });
    emit(item, program, caseSensitive);
    push(program, { op: 'jump', to: loop });
    program[loop] = { op: 'split', first: loop + 1, second: program.length };
    return;
  }
  const skips: number[] = [];
  for (let copy = min; copy < max; copy += 1) {
    skips.push(push(program, { op: 'split', first: 0, second: 0 }));
    emit(item, program, caseSensitive);
  }
  skips.forEach((skip) => (program[skip] = { op: 'split', first: skip + 1, second: program.length }));
}
