"""Train a reward model with TRL's RewardTrainer on a "Continue in TRL" bundle.

Starts from the bundle's SFT model (models/sft, a new scalar head, as the app's reward model starts
from SFT), trains on data/preferences_train.jsonl (the run's K-way rankings expanded to pairs) with
the run's settings (trl_settings.json: reward_config), then reports its accuracy on the held-out
pairs (data/preferences_heldout.jsonl, ranked by the app's held-out labelers).

    python python/train_reward.py --bundle BUNDLE --out rm-trl [--set max_steps=100 ...]
    accelerate launch --config_file python/accelerate_multi_gpu.yaml python/train_reward.py --bundle BUNDLE --out rm-trl
"""

from __future__ import annotations

import json

from transformers import AutoModelForSequenceClassification
from trl import RewardConfig, RewardTrainer

from app_layout import pair_accuracy, read_jsonl
from train_common import parse_args, save, sft_start, trainer_config


def inputs(ap) -> None:
    ap.add_argument("--train", default="data/preferences_train.jsonl", help="pairs to train on, relative to the bundle")


def main() -> None:
    args = parse_args(__doc__, "reward model", "a RewardConfig", inputs)
    settings, config = trainer_config(RewardConfig, args, "reward_config", logging_steps=10)
    sft, tokenizer, train = sft_start(args.bundle, args.train)
    trainer = RewardTrainer(model=sft, args=config, train_dataset=train, processing_class=tokenizer)
    heldout = read_jsonl(args.bundle / "data" / "preferences_heldout.jsonl")
    limit = settings["rloo_config"]["max_completion_length"]  # the task's response length, as the app cuts responses
    before = pair_accuracy(trainer.model.eval(), tokenizer, heldout, limit)
    trainer.model.train()
    trainer.train()
    save(trainer, tokenizer, args.out)
    if trainer.accelerator.is_main_process:
        model = AutoModelForSequenceClassification.from_pretrained(str(args.out)).eval()
        metrics = {"heldout_pairs": len(heldout), "heldout_accuracy_before": before, "heldout_accuracy": pair_accuracy(model, tokenizer, heldout, limit)}
        (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        print(json.dumps(metrics))


if __name__ == "__main__":
    main()
