import { parseWorkflowDefinition, parseWorkflowPatch } from '../../../shared/domain/workflows/workflowInput';
import { WORKFLOW_RULES } from '../../../shared/operations/workflows/workflowScope';
import { invalidRequestMessage } from '../../support/invalidRequest';

const NS = '#microsoft.graph.identityGovernance.';
const PACKAGE = '2ae5d6e5-6cbe-4710-82f2-09ef6ffff0d0';
const POLICY = '00d6fd25-6ee1-4a1d-9e3b-3b9d0cdb2fe4';

const joiner = (changes: Record<string, unknown> = {}) => ({
  category: 'joiner',
  displayName: 'Onboard new hires',
  isEnabled: true,
  isSchedulingEnabled: true,
  executionConditions: {
    '@odata.type': `${NS}triggerAndScopeBasedConditions`,
    scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "(department eq 'Sales') and not (jobTitle eq 'Intern')" },
    trigger: { '@odata.type': `${NS}timeBasedAttributeTrigger`, timeBasedAttribute: 'employeeHireDate', offsetInDays: -1 },
  },
  tasks: [
    { taskDefinitionId: 'c1ec1e76-f374-4375-aaa6-0bb6bd4c60be', displayName: 'Request', arguments: [{ name: 'assignmentPolicyId', value: POLICY }, { name: 'accessPackageId', value: PACKAGE }] },
    { taskDefinitionId: '70b29d51-b59a-4773-9280-8841dfd3f2ea', displayName: 'Welcome', continueOnError: true, arguments: [] },
  ],
  ...changes,
});

const parse = (body: unknown) => parseWorkflowDefinition(body, WORKFLOW_RULES);

describe('a workflow as created', () => {
  it('takes the documented shape, with defaults, task order and categories', () => {
    const workflow = parse(joiner());
    expect(workflow).toMatchObject({ category: 'joiner', isEnabled: true, isSchedulingEnabled: true, description: null });
    expect(workflow.tasks.map((t) => [t.executionSequence, t.category, t.continueOnError, t.isEnabled])).toEqual([
      [1, 'joiner,mover', false, true],
      [2, 'joiner', true, true],
    ]);
    expect(parse(joiner({ executionConditions: { '@odata.type': 'microsoft.graph.identityGovernance.onDemandExecutionOnly' }, isSchedulingEnabled: false })).executionConditions).toEqual({ '@odata.type': `${NS}onDemandExecutionOnly` });
  });

  it('names every problem at once', () => {
    const message = invalidRequestMessage(() => parse({ category: 'retiree', tasks: [], executionConditions: {} }));
    expect(message).toMatch(/category: is required, one of joiner, mover, leaver/);
    expect(message).toMatch(/displayName: is required/);
    expect(message).toMatch(/executionConditions\.@odata\.type/);
    expect(message).toMatch(/tasks: must list 1 to 25 tasks/);
  });

  it.each([
    ['an unknown task definition', { tasks: [{ taskDefinitionId: 'e440ed8d-25a1-4618-84ce-091ed5be5594', arguments: [] }] }, /not a supported task definition; supported: c1ec1e76/],
    ['a task of another category', { tasks: [{ taskDefinitionId: '1dfdfcc7-52fa-4c2e-bf3a-e3919cc12950', arguments: [] }] }, /for leaver workflows, not joiner/],
    ['a missing argument', { tasks: [{ taskDefinitionId: 'c1ec1e76-f374-4375-aaa6-0bb6bd4c60be', arguments: [{ name: 'accessPackageId', value: PACKAGE }] }] }, /'assignmentPolicyId' is required/],
    ['an argument the task does not take', { tasks: [{ taskDefinitionId: '42ae2956-193d-4f39-be06-691b8ac4fa1d', arguments: [{ name: 'groupID', value: PACKAGE }] }] }, /'groupID' is not an argument of this task/],
    ['an id that is no GUID', { tasks: [{ taskDefinitionId: '22085229-5809-45e8-97fd-270d28d66910', arguments: [{ name: 'groupID', value: 'sales' }] }] }, /groupID must be object ids/],
    ['scheduling while disabled', { isEnabled: false }, /cannot be true while isEnabled is false/],
    ['26 tasks', { tasks: Array.from({ length: 26 }, () => ({ taskDefinitionId: '6fc52c9d-398b-4305-9763-15f42c1676fc' })) }, /1 to 25 tasks/],
    ['an unknown property', { owner: 'me' }, /owner: is not a property a workflow takes/],
  ])('refuses %s', (_situation, changes, pattern) => {
    expect(invalidRequestMessage(() => parse(joiner(changes)))).toMatch(pattern);
  });

  it.each([
    [181, false],
    [-181, false],
    [1.5, false],
    [180, true],
    [-180, true],
  ])('takes an offset of %p days: %p', (offsetInDays, valid) => {
    const body = joiner();
    (body.executionConditions as { trigger: { offsetInDays: number } }).trigger.offsetInDays = offsetInDays;
    if (valid) expect(() => parse(body)).not.toThrow();
    else expect(invalidRequestMessage(() => parse(body))).toMatch(/offsetInDays: must be a whole number from -180 to 180/);
  });

  it('checks the scope rule with the OData filter parser', () => {
    const withRule = (rule: string) => {
      const body = joiner();
      (body.executionConditions as { scope: { rule: string } }).scope.rule = rule;
      return body;
    };
    expect(() => parse(withRule("(department in ('Sales','Marketing')) or startsWith(jobTitle, 'Account')"))).not.toThrow();
    expect(invalidRequestMessage(() => parse(withRule("department eq 'Sales' and")))).toMatch(/executionConditions\.scope\.rule/);
    expect(invalidRequestMessage(() => parse(withRule("shoeSize eq '42'")))).toMatch(/unknown property 'shoeSize'/);
  });

  it('takes an attribute change trigger for movers only, on attributes a scope can read', () => {
    const mover = joiner({
      category: 'mover',
      isSchedulingEnabled: true,
      tasks: [{ taskDefinitionId: '22085229-5809-45e8-97fd-270d28d66910', arguments: [{ name: 'groupID', value: PACKAGE }] }],
      executionConditions: {
        '@odata.type': `${NS}triggerAndScopeBasedConditions`,
        scope: { '@odata.type': `${NS}ruleBasedSubjectSet`, rule: "(department eq 'Marketing')" },
        trigger: { '@odata.type': `${NS}attributeChangeTrigger`, triggerAttributes: [{ name: 'Department' }] },
      },
    });
    expect(parse(mover).executionConditions).toMatchObject({ trigger: { triggerAttributes: [{ name: 'department' }] } });
    expect(invalidRequestMessage(() => parse({ ...mover, category: 'joiner' }))).toMatch(/attributeChangeTrigger is for mover workflows/);
    const unknown = structuredClone(mover);
    (unknown.executionConditions as unknown as { trigger: { triggerAttributes: object[] } }).trigger.triggerAttributes = [{ name: 'shoeSize' }];
    expect(invalidRequestMessage(() => parse(unknown))).toMatch(/triggerAttributes\[0\]\.name: must be one of/);
  });
});

describe('a workflow PATCH', () => {
  it('changes the name, description and switches only', () => {
    expect(parseWorkflowPatch({ displayName: 'New', isEnabled: false })).toEqual({ displayName: 'New', isEnabled: false });
  });

  it('refuses tasks and conditions, naming createNewVersion', () => {
    expect(invalidRequestMessage(() => parseWorkflowPatch({ tasks: [] }))).toMatch(/tasks: cannot be changed by PATCH; use POST \/workflows\/\{id\}\/createNewVersion/);
    expect(invalidRequestMessage(() => parseWorkflowPatch({ executionConditions: {} }))).toMatch(/createNewVersion/);
    expect(invalidRequestMessage(() => parseWorkflowPatch({ version: 3 }))).toMatch(/version: cannot be changed/);
  });
});
