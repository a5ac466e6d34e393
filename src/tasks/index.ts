/** The built-in task registry. */
import { instructionsTask } from './instructions';
import { sentimentTask } from './sentiment';
import { TASK_NAMES, type Task, type TaskName } from './types';

export const TASKS: Readonly<Record<TaskName, Task>> = {
  instructions: instructionsTask,
  sentiment: sentimentTask,
};

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
