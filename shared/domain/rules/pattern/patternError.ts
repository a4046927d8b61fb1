/** A -match pattern that cannot be accepted; `offset` counts characters into the pattern. */
export class PatternError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'PatternError';
  }
}
