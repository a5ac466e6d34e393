/** The built-in task registry. */
import { instructionsTask } from './instructions';
import { sentimentTask } from './sentiment';
import type { Task, TaskName } from './types';

export const TASKS: Readonly<Record<TaskName, Task>> = {
  instructions: instructionsTask,
  sentiment: sentimentTask,
};

/**
 * The task names, in the order menus list them.
 * @internal test seam: the tests run once per task
 */
export const TASK_NAMES: readonly TaskName[] = ['instructions', 'sentiment'];

function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name);
}

export function getTask(name: string): Task {
  if (!isTaskName(name)) throw new Error(`unknown task "${name}" (known: ${TASK_NAMES.join(', ')})`);
  return TASKS[name];
}

export type { Task, TaskName } from './types';
export { Rng, hashString } from '../util/rng';
export * from './labeler';
