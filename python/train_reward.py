"""Train a reward model with TRL's RewardTrainer on a "Continue in TRL" bundle.

Starts from the bundle's SFT model (models/sft, a new scalar head, as the app's reward model starts
from SFT), trains on data/preferences_train.jsonl (the run's K-way rankings expanded to pairs) with
the run's settings (trl_settings.json: reward_config), then reports its accuracy on the held-out
pairs (data/preferences_heldout.jsonl, ranked by the app's held-out labelers).

    python python/train_reward.py --bundle BUNDLE --out rm-trl [--set max_steps=100 ...]
    accelerate launch --config_file python/accelerate_multi_gpu.yaml python/train_reward.py --bundle BUNDLE --out rm-trl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from trl import RewardConfig, RewardTrainer

from app_layout import overrides, pair_accuracy, precision, read_jsonl, read_settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bundle", type=Path, required=True, help="the unzipped bundle")
    ap.add_argument("--out", type=Path, required=True, help="where the trained reward model goes (a GPT-2 folder)")
    ap.add_argument("--train", default="data/preferences_train.jsonl", help="pairs to train on, relative to the bundle")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a RewardConfig argument over the bundle's")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    settings = read_settings(args.bundle)
    config = RewardConfig(
        output_dir=str(args.out),
        **{**settings["reward_config"], **precision(), **overrides(args.set)},
        seed=args.seed,
        report_to="none",
        save_strategy="no",
        logging_steps=10,
    )
    sft = str(args.bundle / "models" / "sft")
    tokenizer = AutoTokenizer.from_pretrained(sft)
    train = load_dataset("json", data_files=str(args.bundle / args.train), split="train")
    trainer = RewardTrainer(model=sft, args=config, train_dataset=train, processing_class=tokenizer)
    heldout = read_jsonl(args.bundle / "data" / "preferences_heldout.jsonl")
    limit = settings["rloo_config"]["max_completion_length"]  # the task's response length, as the app cuts responses
    before = pair_accuracy(trainer.model.eval(), tokenizer, heldout, limit)
    trainer.model.train()
    trainer.train()
    trainer.save_model(str(args.out))
    tokenizer.save_pretrained(str(args.out))
    if trainer.accelerator.is_main_process:
        model = AutoModelForSequenceClassification.from_pretrained(str(args.out)).eval()
        metrics = {"heldout_pairs": len(heldout), "heldout_accuracy_before": before, "heldout_accuracy": pair_accuracy(model, tokenizer, heldout, limit)}
        (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        print(json.dumps(metrics))


if __name__ == "__main__":
    main()
