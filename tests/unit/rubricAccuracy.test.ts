import { expect, test } from 'vitest';
import { rubricAccuracy } from '../../src/rlhf/rewardModel';
import { getTask } from '../../src/tasks';

test("the rubric's accuracy on rankings: 1 in rubric order, 0 reversed, ties count half", () => {
  const task = getTask('instructions');
  const prompt = 'reverse: abc\n';
  const best = ['cba', 'cab', 'zzz']; // rubric order, best first
  expect(task.score(prompt, best[0]).total).toBeGreaterThan(task.score(prompt, best[1]).total);
  expect(task.score(prompt, best[1]).total).toBeGreaterThan(task.score(prompt, best[2]).total);
  expect(rubricAccuracy(task, [{ prompt, responses: best, labelerId: 'a' }])).toBe(1);
  expect(rubricAccuracy(task, [{ prompt, responses: [...best].reverse(), labelerId: 'a' }])).toBe(0);
  expect(rubricAccuracy(task, [{ prompt, responses: ['cba', 'cba'], labelerId: 'a' }])).toBe(0.5);
  expect(rubricAccuracy(task, [])).toBeNaN();
});
