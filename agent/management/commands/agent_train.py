from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from agent.evaluation import report
from agent.intent import MODEL_PATH
from agent.training import (
    CORPUS_DIR,
    Embedder,
    corpus_hash,
    cross_validate,
    knowledge_bases,
    label_counts,
    load_corpus,
    train,
)


class Command(BaseCommand):
    help = (
        "Train the offline brain's models from the team's corpus (agent/corpus/) and write the "
        "weights (agent/model/brain.npz). Deterministic: the same corpus gives the same file. "
        "--cross-validate first estimates the brain on clinics it has not seen (one left out "
        "at a time)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--corpus", default=str(CORPUS_DIR), help="Corpus directory.")
        parser.add_argument("--output", default=str(MODEL_PATH), help="Where to write the weights.")
        parser.add_argument(
            "--cross-validate", action="store_true", help="Report a leave-one-clinic-out estimate."
        )
        parser.add_argument(
            "--no-save", action="store_true", help="Only report; keep the weights as they are."
        )

    def handle(self, *args, **options):
        corpus = Path(options["corpus"])
        try:
            examples, kb_texts = load_corpus(corpus)
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"{corpus}: {exc}") from exc
        if not examples:
            raise CommandError(f"{corpus}: no labelled replies (*.jsonl) found")
        counts = ", ".join(f"{k}={v}" for k, v in sorted(label_counts(examples).items()))
        self.stdout.write(f"{len(examples)} replies over {len(kb_texts)} clinics: {counts}")
        kbs = knowledge_bases(kb_texts)
        embed = Embedder()
        if options["cross_validate"]:
            pooled = []
            for clinic, outcomes in cross_validate(examples, kbs, embed).items():
                pooled += outcomes
                right = sum(o.predicted == o.case.action for o in outcomes)
                self.stdout.write(f"held out {clinic}: accuracy={right / len(outcomes):.3f}")
            self.stdout.write("pooled over the held-out clinics:")
            for line in report(pooled):
                self.stdout.write(line)
        if options["no_save"]:
            return
        model = train(examples, kbs, embed, corpus=corpus_hash(corpus))
        model.save(Path(options["output"]))
        self.stdout.write(
            f"wrote {options['output']} (corpus {model.corpus_hash}; confidence floor "
            f"{model.min_confidence}, opt-out {model.opt_out_confidence}, answer "
            f"{model.answer_threshold}, words alone {model.words_confidence}, visit words alone "
            f"{model.visit_words_confidence})"
        )
