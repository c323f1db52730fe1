"""kerasknow: turn a knowledge base into served TensorFlow models with TFX.

Install with `bash tools/setup_env.sh` (see BUILD.md): the stack is locked in
requirements/lock.txt because TFX 1.16 must be installed with --ignore-requires-python on
CPython 3.11. `install_requires` names the direct dependencies for reference.
"""
import pathlib

from setuptools import setup

ROOT = pathlib.Path(__file__).parent


def _subpackages(folder: str, prefix: str) -> dict:
    """Maps `prefix.sub.pkg` to `folder/sub/pkg` for every package under `folder`."""
    mapping = {}
    for init in sorted((ROOT / folder).rglob("__init__.py")):
        rel = init.parent.relative_to(ROOT / folder)
        name = ".".join((prefix,) + rel.parts) if rel.parts else prefix
        mapping[name] = str(init.parent.relative_to(ROOT))
    return mapping


# components/, pipelines/ and serving/ live at the top of the repository but install under the
# kerasknow namespace, never as top-level `components` or `serving` packages.
PACKAGE_DIR = {"kerasknow": "kerasknow"}
PACKAGE_DIR.update(_subpackages("kerasknow", "kerasknow"))
PACKAGE_DIR.update(_subpackages("components", "kerasknow.components"))
PACKAGE_DIR.update(_subpackages("pipelines", "kerasknow.pipelines"))
PACKAGE_DIR.update(_subpackages("serving", "kerasknow.serving"))

setup(
    name="kerasknow",
    version="0.1.0",
    description="Knowledge bases to TF Serving models: TFX components, Keras fine-tuning, serving.",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.9,<3.12",
    packages=sorted(PACKAGE_DIR),
    package_dir=PACKAGE_DIR,
    package_data={"kerasknow": ["configs/*.yaml"], "kerasknow.serving": ["data/*.txt"]},
    install_requires=[
        "tfx==1.16.0",
        "tensorflow>=2.16,<2.17",
        "tf-keras>=2.16,<2.17",
        "tensorflow-text>=2.16,<2.17",
        "tensorflow-serving-api>=2.16,<2.17",
        "tensorflow-data-validation>=1.16.1,<1.17",
        "apache-beam[gcp]==2.60.0",
        "transformers==4.54.1",
        "keras-tuner==1.3.5",
        "kfp>=2,<2.11",
        "protobuf>=4.25.2,<5",
        "pyyaml",
        "tqdm",
    ],
    # seqeval: the reference the NER metrics are tested against (kerasknow re-implements it).
    extras_require={"test": ["pytest", "seqeval==1.2.2"]},
    entry_points={"console_scripts": ["kerasknow=kerasknow.cli:main"]},
)
