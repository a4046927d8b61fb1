import type { ChaosResults } from './chaosRun';

/** What a chaos run did and found, as `npm run chaos` prints it. */
export function formatResults(results: ChaosResults): string {
  const lines = [
    '',
    `Chaos run: ${results.minutes} minute(s), seed ${results.seed}`,
    `  Operations:  ${results.operations.total} (${Object.entries(results.operations.byKind).map(([k, n]) => `${k} ${n}`).join(', ')})`,
    `  Answers:     ${Object.entries(results.answers.byStatus).map(([s, n]) => `${s}: ${n}`).join(', ')}; cut off by kills: ${results.answers.unansweredBecauseOfKills}`,
    `  Kills:       ${results.kills.total} survived (${results.kills.duringSweeps} during sweeps, ${results.kills.duringRequests} during requests)`,
    `  Faults:      ${results.faults.injected} injected in ${results.faults.graphRoundTrips} Graph round trips`,
    `  Sweeps:      ${results.sweepsRun.underLoad} under load; ${results.sweepsRun.final} at the end in ${results.sweepsRun.finalRounds} round(s) (settling up to ${results.settleMinutes} min), work left ${results.sweepsRun.pendingWorkLeft}`,
    `  Stored:      ${results.stored.requests} requests (${Object.entries(results.stored.requestStates).map(([s, n]) => `${s} ${n}`).join(', ')}), ${results.stored.assignments} assignments, ${results.stored.auditEvents} audit events; ${results.handAddedMembers} members added by hand`,
    ...(results.unfinished.length > 0 ? ['  Unfinished:', ...results.unfinished.map((u) => `    ${u}`)] : []),
    '  Invariants:',
    ...results.invariants.flatMap((i) => [`    ${i.violations === 0 ? 'ok  ' : 'FAIL'} ${i.name}: ${i.violations} violation(s)${i.awaitingRedelivery ? `; ${i.awaitingRedelivery} awaiting redelivery` : ''}${i.awaitingAppend ? `; ${i.awaitingAppend} event(s) awaiting append` : ''}`, ...i.examples.map((e) => `           e.g. ${e}`)]),
  ];
  return `${lines.join('\n')}\n`;
}
