"""End to end: an update of the NER and the image families (the text family's: test_knowledge_update.py),
with tiny models: new entity types and new image classes grow the served model."""
import json
import os

from e2e_configs import fashion_folder, small_config

from kerasknow.local_run import run_local

# Tiny models score near chance: these test the plumbing and bless at any figure.
LENIENT = {"blessing.max_forgetting": 100.0, "blessing.max_absorption": 1.0}
OLD_TYPES, NEW_TYPES = {"person", "geo-loc", "company"}, {"facility", "product", "other"}


def _conll(records, path: str, keep) -> str:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            for token, tag in zip(r.features["tokens"], r.features["tags"]):
                f.write(f"{token}\t{tag if tag == 'O' or tag[2:] in keep else 'O'}\n")
            f.write("\n")
    return path


def _served_labels(version_dir):
    with open(os.path.join(version_dir, "assets", "labels.txt"), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def test_a_ner_update_learns_new_types_and_scores_old_types_in_new_sentences_as_background(
        tmp_path, tiny_bert_dir):
    from kerasknow.data.rejects_report import RejectsReport
    from kerasknow.demo import wnut_file
    from kerasknow.ner.conll_reader import ConllReader

    records = list(ConllReader(wnut_file()).read(RejectsReport(1.0)))[:320]
    # The first half knows three types; the second half tags three others only, its persons,
    # places and companies left O (the background shift of issue 9).
    old = _conll(records[:160], str(tmp_path / "old.conll"), OLD_TYPES)
    new = _conll(records[160:], str(tmp_path / "new.conll"), NEW_TYPES)
    cfg = small_config("ner", old, str(tmp_path / "out"), tiny_bert_dir, model_name="entities")
    first = run_local(cfg)
    result = run_local(cfg.with_overrides({"data": new, **LENIENT}))

    # The tag vocabularies the models were trained with, as the evaluator read them.
    old_tags, tags = first.metrics["labels"], result.metrics["labels"]
    assert result.metrics["update"]["old_labels"] == old_tags
    assert tags[:len(old_tags)] == old_tags and {t[2:] for t in tags[len(old_tags):]} <= NEW_TYPES
    assert {t[2:] for t in tags if t != "O"} == {t[2:] for t in old_tags if t != "O"} | (
        NEW_TYPES & {t[2:] for r in records[160:] for t in r.features["tags"] if t != "O"})
    metrics, update = result.metrics, result.metrics["update"]
    seen_old = sorted({t[2:] for t in old_tags if t != "O"})
    # Every old type is background in the new sentences: both the whole evaluation and the new
    # knowledge's gate read the candidate's tags of them there as O.
    assert metrics["background_types"] == seen_old == update["new_knowledge"]["background_types"]
    assert set(update["retention"]["per_class"]) == set(seen_old)
    with open(os.path.join(result.reports, "evaluation", "metrics.json"), encoding="utf-8") as f:
        assert json.load(f)["background_types"] == seen_old
    report = json.load(open(os.path.join(result.reports, "validation", "report.json")))
    checks = {f["check"]: f for f in report["findings"]}
    assert report["update"] is True and {t[2:] for t in checks["new_labels"]["details"]["labels"]} <= NEW_TYPES


def test_an_image_update_grows_the_head_and_keeps_the_old_class_ids(tmp_path):
    old = fashion_folder(tmp_path / "old", 12, classes=(0, 1))
    new = fashion_folder(tmp_path / "new", 12, classes=(8, 9))
    cfg = small_config("image-classification", old, str(tmp_path / "out"), model_name="clothes")
    first = run_local(cfg)
    result = run_local(cfg.with_overrides({"data": new, **LENIENT}))
    old_labels, labels = _served_labels(first.pushed_model), _served_labels(result.pushed_model)
    assert old_labels == ["T-shirt-top", "Trouser"] and labels == old_labels + ["Ankle-boot", "Bag"]
    update = result.metrics["update"]
    assert update["strategy"] == "replay" and update["old_labels"] == old_labels
    assert set(update["retention"]["per_class"]) == set(old_labels) and 0.0 <= update["retention"]["absorption"] <= 1.0
    assert update["cost"]["examples_processed"] > 0
    assert os.path.exists(first.pushed_model) and result.pushed_model != first.pushed_model

