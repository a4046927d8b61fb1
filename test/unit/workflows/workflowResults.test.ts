import { summarizeRun, userStatus, type TaskProcessingResult, type WorkflowRun } from '../../../shared/domain/workflows/results';

const task = (processingStatus: TaskProcessingResult['processingStatus']): TaskProcessingResult => ({
  id: 't',
  taskId: 'x',
  taskDefinitionId: 'd',
  taskDisplayName: 'n',
  processingStatus,
  failureReason: processingStatus === 'failed' ? 'why' : null,
  createdDateTime: '2026-01-01T00:00:00Z',
  startedDateTime: null,
  completedDateTime: null,
});

describe('processing status', () => {
  it('is completed, completedWithErrors (a failure the rest went on after) or failed (a failure that stopped the rest)', () => {
    expect(userStatus([task('completed'), task('completed')])).toBe('completed');
    expect(userStatus([task('failed'), task('completed')])).toBe('completedWithErrors');
    expect(userStatus([task('failed'), task('canceled')])).toBe('failed');
    expect(userStatus([task('failed')])).toBe('failed');
  });

  it('sums a run from its users', () => {
    const run = { id: 'r', processingStatus: 'inProgress' } as WorkflowRun;
    const users = [
      { processingStatus: 'completed', taskProcessingResults: [task('completed'), task('completed')] },
      { processingStatus: 'failed', taskProcessingResults: [task('failed'), task('canceled')] },
    ] as unknown as Parameters<typeof summarizeRun>[1];
    expect(summarizeRun(run, users, '2026-01-01T00:01:00Z')).toMatchObject({
      processingStatus: 'completedWithErrors',
      completedDateTime: '2026-01-01T00:01:00Z',
      failedTasksCount: 1,
      failedUsersCount: 1,
      successfulUsersCount: 1,
      totalTasksCount: 4,
      totalUnprocessedTasksCount: 1,
      totalUsersCount: 2,
    });
  });
});
