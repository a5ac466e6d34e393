import { DEFAULT_PIPELINE, type PipelineConfig } from '../rlhf/config';

/** The pipeline setup being edited on the page (defaults from the one source, DEFAULT_PIPELINE). */
export const pipelineConfig = $state<PipelineConfig>(structuredClone(DEFAULT_PIPELINE));
