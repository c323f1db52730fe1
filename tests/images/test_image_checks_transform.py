import dataclasses
import io

import apache_beam as beam
import numpy as np
from apache_beam.testing.util import assert_that, equal_to
from PIL import Image

from kerasknow.config import RunConfig
from kerasknow.data.example_codec import decode_example, encode_features
from kerasknow.family.registry import get_task_family
from kerasknow.images.image_checks_transform import ImageClassificationChecks
from kerasknow.images.image_record import pixel_sha256


def _example(seed, label, size=(40, 40), channels=3):
    pixels = np.random.RandomState(seed).randint(0, 256, size + (3,), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return {"image": buffer.getvalue(), "label": label, "image_sha256": pixel_sha256(pixels),
            "height": size[0], "width": size[1], "channels": channels}


def _serialized():
    """Every image finding, the capped ones past their caps: 12 conflicts, 7 leaked images, 12 broken."""
    train = [_example(i, "cat" if i % 2 else "dog", size=(20 + i, 50 + i), channels=1 if i < 3 else 3)
             for i in range(30)]
    train += [dict(_example(100 + i, "cat"), label=lab) for i in range(12) for lab in ("cat", "dog")]
    train += [dict(_example(200 + i, "bird"), image=b"\x89PNG\r\n\x1a\n broken " + bytes([i])) for i in range(12)]
    evaluation = [_example(300 + i, "cat") for i in range(7)] + train[:7]
    evaluation += [_example(400, "fish")]
    return {split: [encode_features(ex).SerializeToString() for ex in rows]
            for split, rows in (("train", train), ("eval", evaluation))}


def test_the_beam_checks_give_the_in_memory_checks_findings():
    cfg = RunConfig(task="image-classification", validation={"min_examples_per_label": 13})
    serialized = _serialized()
    decoded = {split: [decode_example(d) for d in data] for split, data in serialized.items()}
    expected = get_task_family("image-classification").knowledge_checks(decoded, cfg)
    checks = {f.check: f for f in expected}
    assert {"undecodable_images", "image_sizes", "image_channels", "examples_per_label", "too_few_examples_per_label",
            "conflicting_labels", "exact_duplicates", "train_eval_leakage", "eval_labels_unseen_in_train",
            "image_input_size"} <= set(checks)
    assert checks["undecodable_images"].details["count"] == 12
    assert len(checks["undecodable_images"].details["examples"]) == 10
    assert checks["conflicting_labels"].details["count"] == 12
    assert checks["train_eval_leakage"].details["distinct_images"] == 7
    assert len(checks["train_eval_leakage"].details["examples"]) == 5

    with beam.Pipeline() as p:
        findings = (p | beam.Create([(s, d) for s, data in serialized.items() for d in data])
                    | ImageClassificationChecks(cfg)
                    | beam.Map(lambda fs: [dataclasses.asdict(f) for f in fs]))
        assert_that(findings, equal_to([[dataclasses.asdict(f) for f in expected]]))
