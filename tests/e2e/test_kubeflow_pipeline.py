"""End to end on Kubeflow's terms: the compiled PipelineSpec, each task run in order through the
container entrypoint it names (TFX's Kubeflow V2 executor entrypoint) with the executor input
Kubeflow would build, on local paths and a tiny BERT, ends with a pushed model."""
import json
import os

import pytest
import tensorflow as tf

from kerasknow.kubeflow_compile import compile_kubeflow
from kerasknow.kubeflow_spec_run import run_compiled_spec, task_order
from kerasknow.serving.model_release import ModelRelease

from e2e_configs import small_config

ENTRYPOINT = "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor"


@pytest.fixture(scope="module")
def replayed(tmp_path_factory, tiny_bert_dir, bbc_subset):
    root = tmp_path_factory.mktemp("kfp")
    cfg = small_config("text-classification", bbc_subset, str(root / "out"), tiny_bert_dir, model_name="bbc")
    spec = compile_kubeflow(cfg, str(root / "pipeline.yaml"), image="kerasknow:test",
                            beam_pipeline_args=["--direct_num_workers=1"])
    outputs = run_compiled_spec(spec, str(root / "pipeline-root"), run_id="run1")
    return cfg, spec, outputs


def _artifact(outputs, task, key):
    (artifact,) = outputs[task]["artifacts"][key]["artifacts"]
    return artifact


def test_every_task_ran_through_the_entrypoint_and_the_model_was_pushed(replayed):
    import yaml

    cfg, spec_path, outputs = replayed
    spec = yaml.safe_load(open(spec_path))
    commands = {e["container"]["command"][-1] for e in spec["deploymentSpec"]["executors"].values() if "container" in e}
    assert commands == {ENTRYPOINT}
    order = task_order(spec)
    assert order.index("KnowledgeExampleGen") < order.index("KnowledgeValidator") < order.index("Trainer") \
        < order.index("KnowledgeEvaluator") < order.index("KnowledgePusher")
    ran = [name for name in order if outputs[name]]
    assert set(ran) == {"KnowledgeExampleGen", "StatisticsGen", "SchemaGen", "KnowledgeValidator", "KnowledgeBase",
                        "Tuner", "Trainer", "KnowledgeEvaluator", "KnowledgePusher"}
    # What the entrypoint reported is what the next task was handed (the examples' splits, the blessing).
    examples = _artifact(outputs, "KnowledgeExampleGen", "examples")
    assert examples["uri"].endswith(os.path.join("run1", "KnowledgeExampleGen", "examples"))
    assert json.loads(examples["metadata"]["split_names"]) == ["train", "eval"]
    assert _artifact(outputs, "KnowledgeEvaluator", "blessing")["metadata"]["blessed"] == 1.0

    pushed = _artifact(outputs, "KnowledgePusher", "pushed_model")["metadata"]
    assert pushed["pushed"] == 1.0
    destination = pushed["pushed_destination"]
    assert destination.startswith(cfg.serving_model_dir())
    assert tf.io.gfile.exists(os.path.join(destination, "saved_model.pb"))
    release = ModelRelease(cfg.serving_model_dir())
    assert release.versions() == [int(pushed["pushed_version"])]
    assert release.stable() == int(pushed["pushed_version"])
    # Named by the run Kubeflow passed ({{$.pipeline_job_name}}): reports/<run>/, tensorboard/<run>/.
    assert tf.io.gfile.exists(os.path.join(cfg.reports_dir("run1"), "serving", "preflight.txt"))
    assert tf.io.gfile.exists(os.path.join(cfg.reports_dir("run1"), "validation", "report.json"))
    assert tf.io.gfile.glob(os.path.join(cfg.tensorboard_dir("run1"), "training", "*"))


def test_the_pushed_model_answers_raw_text(replayed):
    cfg, _, outputs = replayed
    destination = _artifact(outputs, "KnowledgePusher", "pushed_model")["metadata"]["pushed_destination"]
    served = tf.saved_model.load(destination)
    signature = served.signatures["serving_default"]
    name = list(signature.structured_input_signature[1])[0]
    answer = signature(**{name: tf.constant(["Shares rose after the bank's results."])})
    labels = {label.decode() for label in answer["label"].numpy().ravel()} if "label" in answer else set()
    assert labels <= {"business", "entertainment", "politics", "sport", "tech"} and answer


@pytest.mark.slow
def test_each_task_in_its_own_process_as_its_container_runs_it(tmp_path, tiny_bert_dir, bbc_subset):
    """The same spec with every task a fresh `python -m <entrypoint> <args>` process, as in a pod:
    nothing is shared between tasks but the files the executor inputs name."""
    cfg = small_config("text-classification", bbc_subset, str(tmp_path / "out"), tiny_bert_dir, model_name="bbc")
    spec = compile_kubeflow(cfg, str(tmp_path / "pipeline.yaml"), image="kerasknow:test")
    outputs = run_compiled_spec(spec, str(tmp_path / "root"), run_id="pods", in_process=False)
    pushed = _artifact(outputs, "KnowledgePusher", "pushed_model")["metadata"]
    assert pushed["pushed"] == 1.0
    assert ModelRelease(cfg.serving_model_dir()).versions() == [int(pushed["pushed_version"])]


def test_steps_run_in_process_give_the_precision_policy_back(replayed):
    """The entrypoint ran the Tuner and Trainer in this process, where the hardware plan sets the
    global policy (mixed_bfloat16 on a CPU with AMX-BF16): their executors give it back."""
    assert tf.keras.mixed_precision.global_policy().name == "float32"
