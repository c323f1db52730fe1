"""`kerasknow compile --kubeflow`: what kfp 2.x's own loaders read, with the user's paths unchanged."""
import contextlib
import io
import json

import pytest
import yaml

from kerasknow.cli import main
from kerasknow.errors import ConfigError
from kerasknow.kubeflow_compile import ContainerResources

BEAM = ["--beam-arg=--runner=DataflowRunner", "--beam-arg=--temp_location=gs://bkt/tmp"]


def _compile(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["compile", *argv])
    return code, out.getvalue(), err.getvalue()


def _config_of(spec: dict, task: str) -> dict:
    params = spec["root"]["dag"]["tasks"][task]["inputs"]["parameters"]
    return json.loads(params["config"]["runtimeValue"]["constant"])


@pytest.fixture(scope="module")
def yaml_spec(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("kfp") / "pipeline.yaml")
    code, out, err = _compile("--kubeflow", path, "--task", "text-classification", "--data", "gs://bkt/knowledge/bbc.csv",
                              "--output", "gs://bkt/run", "--image", "europe-docker.pkg.dev/p/r/kerasknow:1",
                              "--cpu", "4", "--memory", "16Gi", "--gpus", "1", *BEAM)
    assert code == 0, err
    return path, out


def test_yaml_loads_with_kfp_component_loader_and_client_package_loader(yaml_spec):
    from kfp import components
    from kfp.client import client

    path, out = yaml_spec
    assert f"wrote Kubeflow Pipelines PipelineSpec {path}" in out
    component = components.load_component_from_file(path)
    assert component.name == "kerasknow-text-classification"
    # The client's own reader of a package file (create_run_from_pipeline_package, upload_pipeline).
    doc = client._extract_pipeline_yaml(path)
    assert doc.pipeline_spec.default_pipeline_root == "gs://bkt/run/tfx"
    assert doc.pipeline_spec.schema_version == "2.1.0"
    assert set(doc.pipeline_spec.root.dag.tasks) >= {
        "KnowledgeExampleGen", "StatisticsGen", "SchemaGen", "KnowledgeValidator", "KnowledgeBase", "Tuner", "Trainer",
        "KnowledgeEvaluator", "KnowledgePusher"}


def test_user_paths_stay_unchanged_in_the_spec(yaml_spec):
    path, _ = yaml_spec
    text = open(path).read()
    spec = yaml.safe_load(text)
    gen = _config_of(spec, "KnowledgeExampleGen")
    assert (gen["data"], gen["output"]) == ("gs://bkt/knowledge/bbc.csv", "gs://bkt/run")
    for task in ("KnowledgeValidator", "KnowledgeBase", "KnowledgeEvaluator", "KnowledgePusher"):
        assert _config_of(spec, task)["output"] == "gs://bkt/run", task
    # No URI was mangled into a local path (`os.path.abspath("gs://b")` is `<cwd>/gs:/b`).
    assert "gs:/b" not in text.replace("gs://b", "")


def test_image_beam_args_and_resources_reach_the_containers(yaml_spec):
    path, _ = yaml_spec
    spec = yaml.safe_load(open(path))
    executors = spec["deploymentSpec"]["executors"]
    containers = {name: e["container"] for name, e in executors.items() if "container" in e}
    assert {c["image"] for c in containers.values()} == {"europe-docker.pkg.dev/p/r/kerasknow:1"}
    beam = ["--runner=DataflowRunner", "--temp_location=gs://bkt/tmp"]
    for name, container in containers.items():
        assert container["command"][-1] == "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor", name
        ours = container["args"][1].startswith("kerasknow.")
        # kerasknow's executors learn the run from Kubeflow's placeholder (reports/<run>/, tensorboard/<run>/).
        expected = beam + ["--kerasknow_run_id={{$.pipeline_job_name}}"] if ours else beam
        assert container["args"][-len(expected):] == expected, name
        assert {"name": "TF_USE_LEGACY_KERAS", "value": "1"} in container["env"], name
    for node in ("Tuner", "Trainer"):
        resources = containers[f"{node}_executor"]["resources"]
        assert resources["resourceCpuRequest"] == "4" and resources["cpuRequest"] == 4.0
        assert resources["resourceMemoryRequest"] == "16Gi"
        assert resources["memoryRequest"] == pytest.approx(17.179869184)
        assert resources["accelerator"] == {"type": "nvidia.com/gpu", "count": "1",
                                            "resourceType": "nvidia.com/gpu", "resourceCount": "1"}
    assert "resources" not in containers["KnowledgeExampleGen_executor"]


def test_json_keeps_the_vertex_pipeline_job_form(tmp_path):
    path = str(tmp_path / "job.json")
    code, out, err = _compile("--kubeflow", path, "--data", "gs://bkt/bbc.csv", "--output", "gs://bkt/run")
    assert code == 0, err
    assert "wrote Vertex AI PipelineJob" in out
    job = json.load(open(path))
    assert set(job) >= {"displayName", "pipelineSpec", "runtimeConfig"}
    assert job["runtimeConfig"]["gcsOutputDirectory"] == "gs://bkt/run/tfx"
    assert _config_of(job["pipelineSpec"], "KnowledgePusher")["output"] == "gs://bkt/run"


def test_schema_flag_imports_the_schema_from_the_output_file_system(tmp_path):
    """`--schema` on a non-local file system (TF's `ram://`): copied by content into the output,
    and ImportSchemaGen reads it from there."""
    import tensorflow as tf

    schema = 'feature { name: "text" type: BYTES }\nfeature { name: "label" type: BYTES }\n'
    tf.io.gfile.makedirs("ram://kfp-schema/curated")
    with tf.io.gfile.GFile("ram://kfp-schema/curated/schema.pbtxt", "w") as f:
        f.write(schema)
    path = str(tmp_path / "pipeline.yaml")
    code, _, err = _compile("--kubeflow", path, "--data", "gs://bkt/bbc.csv", "--output", "ram://kfp-schema/run",
                            "--schema", "ram://kfp-schema/curated/schema.pbtxt")
    assert code == 0, err
    spec = yaml.safe_load(open(path))
    tasks = spec["root"]["dag"]["tasks"]
    assert "SchemaGen" not in tasks
    imported = tasks["ImportSchemaGen"]["inputs"]["parameters"]["schema_file"]["runtimeValue"]["constant"]
    assert imported.startswith("ram://kfp-schema/run/schema/imported/") and imported.endswith(".pbtxt")
    with tf.io.gfile.GFile(imported) as f:
        assert f.read() == schema


def test_bad_output_name_and_resources_are_clear_errors(tmp_path):
    code, _, err = _compile("--kubeflow", str(tmp_path / "p.txt"), "--data", "gs://b/d.csv", "--output", "gs://b/o")
    assert code == 1 and "--kubeflow must name a .yaml file" in err and "p.txt" in err
    code, _, err = _compile("--kubeflow", str(tmp_path / "p.yaml"), "--data", "gs://b/d.csv", "--memory", "lots")
    assert code == 1 and "Received: --memory 'lots'" in err
    with pytest.raises(ValueError, match="gpus must be 0"):
        ContainerResources(gpus=-1)
    with pytest.raises(ConfigError, match="No knowledge data"):
        from kerasknow.config import RunConfig
        from kerasknow.cli import check_data

        check_data(RunConfig(data=""))
