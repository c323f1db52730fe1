"""Image knowledge checks on decoded examples."""
import hashlib
import io

import numpy as np
from PIL import Image

from kerasknow.config import RunConfig
from kerasknow.images.image_checks import image_classification_checks
from kerasknow.images.image_record import pixel_sha256


def _example(seed, label, size=(40, 40), channels=3):
    pixels = np.random.RandomState(seed).randint(0, 256, size + (3,), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return {"image": [buffer.getvalue()], "label": [label.encode()], "image_sha256": [pixel_sha256(pixels).encode()],
            "height": [size[0]], "width": [size[1]], "channels": [channels]}


def _checks(splits, **config):
    return {f.check: f for f in image_classification_checks(splits, RunConfig(task="image-classification", validation=config))}


def test_clean_data_has_only_measurements():
    train = [_example(i, "cat" if i % 2 else "dog") for i in range(12)]
    evals = [_example(100 + i, "cat" if i % 2 else "dog") for i in range(4)]
    findings = _checks({"train": train, "eval": evals})
    assert {f.severity for f in findings.values()} == {"info"}
    assert findings["examples_per_label"].details == {"train": {"dog": 6, "cat": 6}, "eval": {"dog": 2, "cat": 2}}
    assert findings["image_sizes"].details["height"] == {"min": 40, "median": 40.0, "max": 40}
    assert findings["image_channels"].details == {"3": 16}


def test_sizes_channels_and_too_few_per_label():
    train = [_example(i, "cat", size=(20 + i, 50), channels=1 if i < 3 else 3) for i in range(6)] + [_example(9, "dog")]
    findings = _checks({"train": train, "eval": []}, min_examples_per_label=2)
    sizes = findings["image_sizes"]
    assert sizes.severity == "warning" and sizes.details["small"] == 6  # sides 20..25 < 32
    assert sizes.details["height"] == {"min": 20, "median": 23.0, "max": 40}
    assert findings["image_channels"].details == {"1": 3, "3": 4}
    few = findings["too_few_examples_per_label"]
    assert few.severity == "error" and few.details == {"labels": {"dog": 1}}


def test_undecodable_images_are_errors():
    bad = _example(1, "cat")
    bad["image"] = [b"\x89PNG\r\n\x1a\n broken"]
    findings = _checks({"train": [_example(2, "cat"), bad], "eval": []}, min_examples_per_label=1)
    assert findings["undecodable_images"].severity == "error"
    assert findings["undecodable_images"].details["count"] == 1


def test_duplicates_conflicts_and_leakage():
    a, b = _example(1, "cat"), _example(2, "dog")
    a_as_dog = dict(a, label=[b"dog"])
    train = [a, a_as_dog, b, b, _example(3, "cat")]
    evals = [b, _example(4, "cat")]
    findings = _checks({"train": train, "eval": evals}, min_examples_per_label=1)
    conflict = findings["conflicting_labels"]
    assert conflict.severity == "error" and conflict.details["count"] == 1
    assert conflict.details["examples"][0]["labels"] == ["cat", "dog"]
    assert findings["exact_duplicates"].details["count"] == 3  # a once more, b twice more
    leak = findings["train_eval_leakage"]
    assert leak.severity == "warning"
    assert (leak.details["distinct_images"], leak.details["eval_examples"], leak.details["train_examples"]) == (1, 1, 2)
    relaxed = _checks({"train": train, "eval": evals}, min_examples_per_label=1, fail_on_conflicting_labels=False)
    assert relaxed["conflicting_labels"].severity == "warning"


def test_examples_without_a_content_hash_use_the_bytes():
    a = _example(1, "cat")
    del a["image_sha256"]
    findings = _checks({"train": [a, dict(a, label=[b"dog"])], "eval": []}, min_examples_per_label=1)
    expected = "bytes:" + hashlib.sha256(a["image"][0]).hexdigest()
    assert findings["conflicting_labels"].details["examples"][0]["image_sha256"] == expected
