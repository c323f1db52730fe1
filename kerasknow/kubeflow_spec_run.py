"""Runs a compiled Kubeflow pipeline (`kerasknow compile --kubeflow OUT.yaml`) on this machine,
task by task, through the container entrypoint each task names, with the executor input that
Kubeflow would hand it: a check of the compiled spec itself before it goes to a cluster.

What Kubeflow's driver does, done here from the spec alone: tasks run in dependency order; a
task's input artifacts are the artifacts its producer task reported in its
`executor_output.json` (with their metadata); its parameters are the spec's constants; its output
artifacts get fresh URIs under `<root>/<run>/<task>/<key>`. The resolver tasks
(`previous_knowledge`: queries of ML Metadata that the cluster's metadata store answers) resolve
nothing here, as on a first run.

Usage: `python -m kerasknow.kubeflow_spec_run pipeline.yaml --root /tmp/replay [--subprocess]`
"""
import argparse
import json
import logging
import os
import shlex
import subprocess
import sys
import uuid
from typing import Dict, List, Optional

logger = logging.getLogger(__name__)

#: The placeholders Kubeflow replaces: the task's `ExecutorInput` JSON, the run's name.
EXECUTOR_INPUT_PLACEHOLDER = "{{$}}"
RUN_NAME_PLACEHOLDER = "{{$.pipeline_job_name}}"


def task_order(spec: dict) -> List[str]:
    """The root DAG's tasks, each after every task it depends on (stable by name otherwise).

    Raises:
        ValueError: When the tasks' dependencies form a cycle.
    """
    tasks = spec["root"]["dag"]["tasks"]
    needs = {name: set(task.get("dependentTasks", [])) | {
        a["taskOutputArtifact"]["producerTask"] for a in task.get("inputs", {}).get("artifacts", {}).values()
        if "taskOutputArtifact" in a} for name, task in tasks.items()}
    order: List[str] = []
    while len(order) < len(tasks):
        ready = sorted(n for n in tasks if n not in order and needs[n] <= set(order))
        if not ready:
            raise ValueError(f"The pipeline's tasks depend on each other in a cycle: "
                             f"{sorted(set(tasks) - set(order))}")
        order += ready
    return order


def _parameter_values(task: dict) -> Dict[str, object]:
    values = {}
    for key, parameter in task.get("inputs", {}).get("parameters", {}).items():
        runtime = parameter.get("runtimeValue", {})
        if "constant" in runtime:  # schema 2.1
            values[key] = runtime["constant"]
        elif "constantValue" in runtime:  # schema 2.0
            constant = runtime["constantValue"]
            values[key] = constant.get("stringValue", constant.get("intValue", constant.get("doubleValue")))
        else:
            raise ValueError(f"Parameter {key!r} is not a constant; a local run has no pipeline parameters. "
                             f"Received: {parameter}")
    return values


def run_compiled_spec(spec_path: str, root: str, run_id: str = "", in_process: bool = True,
                      beam_args: Optional[List[str]] = None) -> Dict[str, dict]:
    """Runs every task of a compiled `PipelineSpec` (YAML) or Vertex `PipelineJob` (JSON).

    Args:
        spec_path: The compiled file.
        root: Where the tasks' output artifacts and `executor_output.json` files go (Kubeflow's
            pipeline root); any file system TensorFlow reads.
        run_id: Names the run's folder under `root` (default: a new id).
        in_process: Call the entrypoint's `main` in this process (TensorFlow loads once); with
            False each task runs as the container would, `python -m <entrypoint> <args>` in a
            new process.
        beam_args: Replace the Beam args compiled into the containers' command lines (e.g. to
            run a Dataflow-compiled spec with the DirectRunner here).

    Returns:
        Each task's `ExecutorOutput` as a dict (`{}` for a resolver), by task name.

    Raises:
        RuntimeError: When a task's entrypoint fails (its output is in the log, or in stderr).
    """
    import yaml
    from tfx.dsl.io import fileio

    with fileio.open(spec_path, "r") as f:
        document = yaml.safe_load(f.read())  # JSON is YAML too
    spec = document.get("pipelineSpec", document)
    run_id = run_id or uuid.uuid4().hex[:12]
    run_root = os.path.join(root, run_id)
    outputs: Dict[str, dict] = {}
    for name in task_order(spec):
        task = spec["root"]["dag"]["tasks"][name]
        component = spec["components"][task["componentRef"]["name"]]
        executor = spec["deploymentSpec"]["executors"][component["executorLabel"]]
        if "container" not in executor:
            # A resolver (or importer) answered from ML Metadata: nothing to resolve on a first run.
            logger.info("Task %s: %s resolves nothing here (no ML Metadata)", name, sorted(executor))
            outputs[name] = {}
            continue
        executor_input = _executor_input(name, task, component, outputs, run_root)
        container = executor["container"]
        args = [executor_input if a == EXECUTOR_INPUT_PLACEHOLDER else a.replace(RUN_NAME_PLACEHOLDER, run_id)
                for a in container.get("args", [])]
        if beam_args is not None:
            args = _known_args(args) + list(beam_args)
        logger.info("Task %s: %s %s", name, " ".join(container["command"]), shlex.join(args[:2]))
        env = {e["name"]: e["value"] for e in container.get("env", [])}
        _run_entrypoint(name, container["command"], args, in_process, env)
        output_file = json.loads(executor_input)["outputs"]["outputFile"]
        with fileio.open(output_file, "r") as f:
            outputs[name] = json.loads(f.read())
    return outputs


def _known_args(args: List[str]) -> List[str]:
    """The entrypoint's own flags and their values, without the Beam args after them."""
    kept, i = [], 0
    while i < len(args):
        if args[i].startswith("--executor_class_path") or args[i].startswith("--json_serialized_"):
            kept += args[i:i + 2]
            i += 2
        elif args[i].startswith("--kerasknow_run_id="):  # not a Beam arg (components.knowledge_executor)
            kept.append(args[i])
            i += 1
        else:
            i += 1
    return kept


def _executor_input(name: str, task: dict, component: dict, outputs: Dict[str, dict], run_root: str) -> str:
    definitions = component.get("inputDefinitions", {}).get("artifacts", {})
    artifacts = {}
    for key, source in task.get("inputs", {}).get("artifacts", {}).items():
        producer = source["taskOutputArtifact"]
        produced = outputs[producer["producerTask"]].get("artifacts", {}).get(producer["outputArtifactKey"], {})
        listed = []
        for artifact in produced.get("artifacts", []):
            listed.append({**artifact, "type": definitions[key]["artifactType"]})
        artifacts[key] = {"artifacts": listed}
    task_root = os.path.join(run_root, name)
    out_artifacts = {}
    for key, definition in component.get("outputDefinitions", {}).get("artifacts", {}).items():
        out_artifacts[key] = {"artifacts": [{
            "name": f"artifacts/{name}-{key}-{uuid.uuid4().hex[:8]}",
            "uri": os.path.join(task_root, key),
            "type": definition["artifactType"],
        }]}
    return json.dumps({
        "inputs": {"artifacts": artifacts, "parameterValues": _parameter_values(task)},
        "outputs": {"artifacts": out_artifacts, "outputFile": os.path.join(task_root, "executor_output.json")},
    })


def _run_entrypoint(name: str, command: List[str], args: List[str], in_process: bool,
                    env: Dict[str, str]) -> None:
    if command[:2] != ["python", "-m"] or len(command) != 3:
        raise ValueError(f"Task {name}: expected a `python -m MODULE` entrypoint. Received: command={command}")
    module = command[2]
    if in_process:
        import importlib

        entrypoint = importlib.import_module(module)
        try:
            entrypoint.main(entrypoint._parse_flags(args))
        except Exception as e:
            raise RuntimeError(f"Task {name} failed in {module}: {e}") from e
        return
    # The container's environment: this one's (the image's, here) with the spec's variables on top.
    done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          env={**os.environ, **env})
    if done.returncode != 0:
        raise RuntimeError(f"Task {name} failed ({module} exited {done.returncode}): {done.stderr[-4000:]}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kerasknow.kubeflow_spec_run", description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", help="the compiled pipeline (.yaml or .json)")
    parser.add_argument("--root", required=True, help="pipeline root for this run's artifacts (required)")
    parser.add_argument("--subprocess", action="store_true",
                        help="run each task in a new process, as its container would (default: in this process)")
    parser.add_argument("--beam-arg", action="append", dest="beam_args", metavar="ARG",
                        help="replace the compiled Beam args, repeatable (default: keep them)")
    args = parser.parse_args(argv)
    outputs = run_compiled_spec(args.spec, args.root, in_process=not args.subprocess, beam_args=args.beam_args)
    for name, output in outputs.items():
        uris = [a["uri"] for v in output.get("artifacts", {}).values() for a in v.get("artifacts", [])]
        print(f"{name:28s} {'resolved nothing' if not output else ', '.join(uris)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
