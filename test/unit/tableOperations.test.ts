import { tableOperations } from '../../tools/bench/tableOperations';

const timing = (count: number, meanMs: number) => ({ count, meanMs, maxMs: meanMs, maxInFlight: 1, failed: 0 });

test("the counting proxy's routes summed by table and operation, a transaction's entity operations listed inside it, slowest table first", () => {
  const summary = tableOperations(
    {
      'GET benchaccessGrants(assignment)': timing(10, 1),
      'GET benchaccessGrants(claim)': timing(5, 1),
      'PUT benchaccessGrants(assignment)': timing(4, 2),
      '$batch[POST benchaccessGrants(request), PUT benchaccessGrants(assignment), DELETE benchaccessGrants(claim)]': timing(3, 10),
      'GET benchgrantIndex() query(packageAssignee)': timing(2, 5),
      'GET benchaccessPackages()': timing(1, 3),
      '$batch[POST benchauditEvents(), POST benchauditEvents()]': timing(2, 40),
    },
    'bench',
  );
  expect(summary.split('; ')).toEqual([
    'auditEvents: 2 transaction (in transactions: 4 insert), 0.08 s',
    'accessGrants: 15 point read, 4 upsert/replace, 3 transaction (in transactions: 3 insert, 3 upsert/replace, 3 delete), 0.05 s',
    'grantIndex: 2 query, 0.01 s',
    'accessPackages: 1 query, 0.00 s',
  ]);
});
