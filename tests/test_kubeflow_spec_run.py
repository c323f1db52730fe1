import json

import pytest

from kerasknow.kubeflow_spec_run import _executor_input, _known_args, task_order


def _task(deps=(), inputs=()):
    return {"dependentTasks": list(deps), "inputs": {"artifacts": {
        key: {"taskOutputArtifact": {"producerTask": producer, "outputArtifactKey": "out"}}
        for key, producer in inputs}}}


def test_tasks_run_after_their_dependencies_and_producers():
    spec = {"root": {"dag": {"tasks": {
        "Pusher": _task(["Trainer"], [("model", "Trainer")]), "Trainer": _task(inputs=[("examples", "Gen")]),
        "Gen": _task(), "Stats": _task(["Gen"])}}}}
    assert task_order(spec) == ["Gen", "Stats", "Trainer", "Pusher"]
    spec["root"]["dag"]["tasks"]["Gen"] = _task(["Pusher"])
    with pytest.raises(ValueError, match=r"cycle: \['Gen', 'Pusher', 'Stats', 'Trainer'\]"):
        task_order(spec)


def test_executor_input_hands_on_the_producers_reported_artifacts_and_the_constants():
    schema = {"instanceSchema": "title: tfx.Examples\ntype: object\n"}
    task = {"inputs": {"artifacts": {"examples": {"taskOutputArtifact": {"producerTask": "Gen",
                                                                          "outputArtifactKey": "examples"}},
                                     "previous": {"taskOutputArtifact": {"producerTask": "resolver",
                                                                         "outputArtifactKey": "model"}}},
                       "parameters": {"config": {"runtimeValue": {"constant": "{}"}}}}}
    component = {"inputDefinitions": {"artifacts": {"examples": {"artifactType": schema},
                                                    "previous": {"artifactType": schema}}},
                 "outputDefinitions": {"artifacts": {"statistics": {"artifactType": schema}}}}
    reported = {"uri": "/r/Gen/examples", "name": "artifacts/1", "metadata": {"split_names": '["train"]'}}
    outputs = {"Gen": {"artifacts": {"examples": {"artifacts": [reported]}}}, "resolver": {}}
    executor_input = json.loads(_executor_input("Stats", task, component, outputs, "/r"))
    assert executor_input["inputs"]["artifacts"] == {"examples": {"artifacts": [{**reported, "type": schema}]},
                                                     "previous": {"artifacts": []}}
    assert executor_input["inputs"]["parameterValues"] == {"config": "{}"}
    (out,) = executor_input["outputs"]["artifacts"]["statistics"]["artifacts"]
    assert out["uri"] == "/r/Stats/statistics" and out["type"] == schema
    assert executor_input["outputs"]["outputFile"] == "/r/Stats/executor_output.json"


def test_replacing_the_beam_args_keeps_the_entrypoint_flags():
    args = ["--executor_class_path", "a.B", "--json_serialized_invocation_args", "{}",
            "--json_serialized_inputs_spec_args", "{}", "--runner=DataflowRunner", "--project=p",
            "--kerasknow_run_id={{$.pipeline_job_name}}"]
    assert _known_args(args) == args[:6] + args[-1:]
