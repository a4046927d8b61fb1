/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, that CI reads to count the tests.
 * Jest reporters are loaded without the TypeScript transform, hence plain JavaScript.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    process.stdout.write(`tests: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`);
  }
}

module.exports = SummaryReporter;
