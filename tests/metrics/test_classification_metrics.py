import numpy as np
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from kerasknow.metrics.classification_metrics import classification_metrics
from kerasknow.metrics.confusion_image import confusion_matrix_image


def test_matches_scikit_learn_on_random_predictions():
    rng = np.random.default_rng(0)
    labels = ["business", "entertainment", "politics", "sport", "tech"]
    y_true = list(rng.choice(labels, 300))
    y_pred = [t if rng.random() < 0.7 else rng.choice(labels) for t in y_true]
    m = classification_metrics(y_true, y_pred, labels)
    assert m["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert m["f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    for i, label in enumerate(labels):
        assert m["per_class"][label]["precision"] == pytest.approx(p[i])
        assert m["per_class"][label]["recall"] == pytest.approx(r[i])
        assert m["per_class"][label]["f1"] == pytest.approx(f[i])
        assert m["per_class"][label]["support"] == s[i]
    assert m["confusion_matrix"] == confusion_matrix(y_true, y_pred, labels=labels).tolist()
    assert m["scalars"]["f1/sport"] == pytest.approx(f[3])


def test_errors():
    with pytest.raises(ValueError, match="same length"):
        classification_metrics(["a"], [], ["a"])
    with pytest.raises(ValueError, match="zero examples"):
        classification_metrics([], [], ["a"])
    with pytest.raises(ValueError, match=r"Labels \['z'\] are not in the label vocabulary"):
        classification_metrics(["z"], ["a"], ["a"])


def test_confusion_image_has_cells_shaded_by_row_share():
    image = confusion_matrix_image([[9, 1], [0, 10]], ["alpha", "beta"])
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    # A full row share is drawn dark blue somewhere in the picture.
    assert ((image[..., 0] < 40) & (image[..., 2] > 200)).any()
    with pytest.raises(ValueError, match=r"matrix must be 2x2 to match labels"):
        confusion_matrix_image([[1]], ["a", "b"])
