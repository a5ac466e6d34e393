/** The built-in task registry. */
import { instructionsTask } from './instructions';
import { sentimentTask } from './sentiment';
import type { Task, TaskName } from './types';

export const TASKS: Readonly<Record<TaskName, Task>> = {
  instructions: instructionsTask,
  sentiment: sentimentTask,
};

export const TASK_NAMES: readonly TaskName[] = ['instructions', 'sentiment'];
export const DEFAULT_TASK: TaskName = 'instructions';

export function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name);
}

export function getTask(name: string): Task {
  if (!isTaskName(name)) throw new Error(`unknown task "${name}" (known: ${TASK_NAMES.join(', ')})`);
  return TASKS[name];
}

export type { Task, TaskName, Score, PromptCounts, PromptSplits, ResponseSet } from './types';
export { Rng, hashString } from '../util/rng';
export { isAllowedText, levenshtein, similarity, MAX_PROMPT_CHARS, MAX_DOC_CHARS } from './text';
export { instructionsTask } from './instructions';
export { sentimentTask, afinnValence } from './sentiment';
export * from './labeler';
