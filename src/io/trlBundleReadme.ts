import type { RunData } from '../rlhf/pipelineTypes';
import type { TrlSettings } from './trlSettings';

/**
 * The README.md of a "Continue in TRL" bundle (trlBundle.ts): what is in it, the commands that
 * train on it, and what does not carry over. Plain Markdown; the run's name is the only user text,
 * and it goes in as a code span.
 */
export function trlBundleReadme(o: { runName: string; models: string[]; data?: RunData; settings: TrlSettings }): string {
  const { data, settings } = o;
  const name = o.runName.replace(/[`\r\n]/g, ' ');
  const counts = data
    ? [
        `- \`data/sft.jsonl\`: ${data.demonstrations.length} demonstrations (TRL prompt-completion; \`_conversational\`: the same as messages)`,
        `- \`data/preferences_train.jsonl\`: the ${data.rankings.train.length} training rankings expanded to their C(K,2) pairs ` +
          `(${data.rankings.train.reduce((a, r) => a + (r.ranking.length * (r.ranking.length - 1)) / 2, 0)} pairs, TRL preference with an explicit prompt)`,
        `- \`data/preferences_heldout.jsonl\`: the ${data.rankings.heldout.length} held-out rankings (by the held-out labelers) as pairs`,
        '- `data/rankings_train.jsonl`, `data/rankings_heldout.jsonl`: the K-way rankings themselves, `{"prompt", "ranking": [best, …, worst]}`',
        `- \`data/prompts_train.jsonl\` (${data.prompts.train.length}, the PPO prompts), \`prompts_val.jsonl\` (${data.prompts.val.length}), ` +
          `\`prompts_test.jsonl\` (${data.prompts.test.length}): TRL's prompt-only rows`,
      ].join('\n')
    : '- no datasets: this run was saved before the app kept the data a run trains on (run it again to get them)';
  const mapping = settings.mapping.map((m) => `| \`${m.app}\` | \`${m.trl}\` | ${JSON.stringify(m.value)} | ${m.note ?? ''} |`).join('\n');
  const none = settings.no_equivalent.map((m) => `| \`${m.app}\` | ${JSON.stringify(m.value)} | ${m.why} |`).join('\n');
  return `# Continue in TRL: run \`${name}\`

Exported by "RLHF in the browser" for Hugging Face TRL ${settings.trl_version}. The scripts are in the
app's repository, \`python/\` (\`requirements.txt\` pins the versions they were tested with).

## What is here

- \`models/\`: ${o.models.map((m) => `\`${m}/\``).join(', ')} — Hugging Face GPT-2 folders (\`model.safetensors\`,
  \`config.json\`, tokenizer files). \`sft\` and \`policy\` load with \`AutoModelForCausalLM\`, \`reward\` and \`value\`
  with \`AutoModelForSequenceClassification\` (num_labels 1). The app's score head has a bias that HF's
  GPT-2 head lacks: it is folded into \`ln_f.bias\` (exact up to float rounding; only the score reads
  \`ln_f\` in these models), so HF gives the app's scores as they are.
- The tokenizer is the app's 100 characters as a GPT-2 byte-level BPE with no merges; it writes BOS
  first (\`add_bos_token\`), so TRL's \`prompt + response + "<eos>"\` is the app's \`[BOS prompt response EOS]\`.
  Characters outside printable ASCII and newline are dropped by HF's tokenizer (the app reads each as \`<unk>\`).
${counts}
- \`trl_settings.json\`: the run's settings as \`SFTConfig\`, \`RewardConfig\` and \`RLOOConfig\` arguments
  (\`sft_config\`, \`reward_config\`, \`rloo_config\`), the mapping, and the settings with no equivalent.

## Commands

\`\`\`sh
python -m venv .venv && .venv/bin/pip install -r python/requirements.txt
.venv/bin/python python/train_reward.py --bundle BUNDLE --out rm-trl          # RewardTrainer from models/sft on the pairs
.venv/bin/python python/train_policy.py --bundle BUNDLE --out policy-trl      # RLOOTrainer against models/reward
accelerate launch --config_file python/accelerate_multi_gpu.yaml python/train_policy.py --bundle BUNDLE --out policy-trl
\`\`\`

\`policy-trl/\` is a GPT-2 folder in the app's layout: the app imports it ("Start a run from an
imported model", then Inspect) to compare it with the browser's policy under the same held-out labelers.

## Trainers

TRL ${settings.trl_version} has no PPO trainer. The policy is trained with \`RLOOTrainer\`: PPO's clipped
surrogate (\`epsilon\`) and the same k1 KL penalty in the reward (\`beta\`), but a leave-one-out baseline
over \`num_generations\` samples per prompt instead of a value model with GAE, and no ptx term. The
reward model is trained with \`RewardTrainer\` on the pairs of the rankings.

## Settings

| app | TRL | value | note |
|---|---|---|---|
${mapping}

### No equivalent in TRL

| app | value | why |
|---|---|---|
${none}
`;
}
