"""Compiles the knowledge pipeline for Kubeflow Pipelines (a YAML `PipelineSpec`) or Vertex AI
Pipelines (a JSON `PipelineJob`), with TFX's `KubeflowV2DagRunner`."""
import dataclasses
import logging
import os
import re
from typing import List, Optional

from kerasknow.config import RunConfig
from kerasknow.errors import ConfigError

logger = logging.getLogger(__name__)

#: The nodes that get the resource requests: the Beam steps scale out through their runner.
TRAINING_NODES = ("Tuner", "Trainer")
#: Kubernetes' resource name of NVIDIA GPUs (Kubeflow Pipelines); Vertex names a machine's GPU
#: kind instead (`NVIDIA_TESLA_T4`, `NVIDIA_L4`, ...).
DEFAULT_GPU_TYPE = "nvidia.com/gpu"

_MEMORY = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<unit>[KMGT]i?)?$")
_UNIT_BYTES = {None: 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
               "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


@dataclasses.dataclass(frozen=True)
class ContainerResources:
    """What the Tuner's and the Trainer's containers request from the cluster.

    Args:
        cpu: CPU cores requested (0: the cluster's default).
        memory: Memory requested, as Kubernetes writes it (`"16G"`, `"32Gi"`; "": the default).
        gpus: GPUs requested (0: none).
        gpu_type: The accelerator's name: `nvidia.com/gpu` on Kubeflow Pipelines, a GPU kind
            such as `NVIDIA_TESLA_T4` on Vertex AI.

    Raises:
        ValueError: For a negative count or a memory size Kubernetes cannot read.

    >>> ContainerResources(cpu=4, memory="16Gi", gpus=1).memory_gb()
    17.179869184
    """

    cpu: float = 0.0
    memory: str = ""
    gpus: int = 0
    gpu_type: str = DEFAULT_GPU_TYPE

    def __post_init__(self):
        if self.cpu < 0:
            raise ValueError(f"cpu must be 0 (the default) or more cores. Received: --cpu {self.cpu}")
        if self.gpus < 0:
            raise ValueError(f"gpus must be 0 (none) or more. Received: --gpus {self.gpus}")
        if self.memory and not _MEMORY.match(self.memory):
            raise ValueError("memory must be a number with an optional unit K, M, G, T, Ki, Mi, Gi or Ti "
                             f"(e.g. 16G). Received: --memory {self.memory!r}")
        if self.gpus and not self.gpu_type:
            raise ValueError(f"gpu_type must name the accelerator when gpus={self.gpus}. Received: --gpu-type ''")

    def __bool__(self) -> bool:
        return bool(self.cpu or self.memory or self.gpus)

    def memory_gb(self) -> float:
        """The memory in GB (10^9 bytes), as `PipelineSpec`'s numeric fields hold it (0 when unset)."""
        if not self.memory:
            return 0.0
        m = _MEMORY.match(self.memory)
        return float(m.group("number")) * _UNIT_BYTES[m.group("unit")] / 1e9

    def resource_spec(self):
        """The `PipelineContainerSpec.ResourceSpec` proto: requests in both the numeric fields
        (schema 2.0, Vertex) and the string fields (schema 2.1, Kubeflow Pipelines 2.x)."""
        from kfp.pipeline_spec import pipeline_spec_pb2

        spec = pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec()
        if self.cpu:
            spec.cpu_request = float(self.cpu)
            spec.resource_cpu_request = f"{self.cpu:g}"
        if self.memory:
            spec.memory_request = self.memory_gb()
            spec.resource_memory_request = self.memory
        if self.gpus:
            spec.accelerator.type = self.gpu_type
            spec.accelerator.count = self.gpus
            spec.accelerator.resource_type = self.gpu_type
            spec.accelerator.resource_count = str(self.gpus)
        return spec


def pipeline_root(config: RunConfig) -> str:
    """Where the compiled pipeline's artifacts go: `<output>/tfx`, the user's path unchanged."""
    return os.path.join(config.output, "tfx")


def compile_kubeflow(config: RunConfig, output_file: str, image: str,
                     beam_pipeline_args: Optional[List[str]] = None,
                     resources: Optional[ContainerResources] = None) -> str:
    """Writes the pipeline compiled for Kubeflow Pipelines (`.yaml`) or Vertex AI (`.json`).

    Every path in the spec is the user's as given (`gs://bucket/run` stays `gs://bucket/run`):
    the containers read and write them through TensorFlow's file systems. A curated schema
    (`validation.schema_path`) is copied now to `<output>/schema/imported/<sha256>.pbtxt`, so the
    cluster imports it from the output and an edited schema is imported again.

    Args:
        config: The run config; `data`, `output` and the schema must be paths the cluster can
            read (`gs://`, `s3://`, `hdfs://`, or a volume every pod mounts).
        output_file: `PIPELINE.yaml` writes a `PipelineSpec` (Kubeflow Pipelines 2.x:
            `kfp.Client().create_run_from_pipeline_package`); `PIPELINE.json` writes a Vertex
            `PipelineJob` (`google.cloud.aiplatform.PipelineJob(template_path=...)`). Local or
            a URI.
        image: A container image with kerasknow installed (the repository's `Dockerfile`).
        beam_pipeline_args: Beam flags every container gets (StatisticsGen and SchemaGen read
            them), e.g. `["--runner=DataflowRunner", "--project=P", "--region=R",
            "--temp_location=gs://..."]`.
        resources: CPU, memory and GPUs the Tuner and the Trainer request.

    Returns:
        `output_file`.

    Raises:
        ConfigError: For an output file that is neither `.yaml`/`.yml` nor `.json`, or a
            schema file that does not exist.

    Example:

    ```python
    compile_kubeflow(RunConfig(data="gs://b/bbc.csv", output="gs://b/run"), "pipeline.yaml",
                     image="europe-docker.pkg.dev/p/r/kerasknow:0.1.0",
                     resources=ContainerResources(cpu=8, memory="32G", gpus=1))
    ```
    """
    import json

    import yaml
    from tfx import v1 as tfx
    from tfx import version as tfx_version
    from tfx.dsl.io import fileio

    from kerasknow.local_run import imported_schema
    from kerasknow.pipelines import create_pipeline

    kind = _spec_kind(output_file)
    root = pipeline_root(config)
    pipeline = create_pipeline(config, pipeline_root=root, metadata_path=None,
                               beam_pipeline_args=beam_pipeline_args, schema_path=imported_schema(config),
                               kubeflow=True)
    if resources:
        for component in pipeline.components:
            if component.id in TRAINING_NODES:
                component.with_platform_config(resources.resource_spec())
    # Schema 2.1: parameters as plain values and each container told its inputs' types, the
    # form kfp 2.x compiles to and Kubeflow Pipelines 2.x and Vertex both run.
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=image,
                                                                       use_pipeline_spec_2_1=True),
        output_filename=os.path.basename(output_file), output_dir=".")
    job = runner.run(pipeline, write_out=False)
    _set_container_env(job["pipelineSpec"])
    _pass_run_id(job["pipelineSpec"])
    folder = os.path.dirname(output_file)
    if folder and not fileio.exists(folder):
        fileio.makedirs(folder)
    if kind == "yaml":
        spec = dict(job["pipelineSpec"])
        # A PipelineSpec alone carries no run config: where the artifacts go is its default
        # pipeline root, which a run may still override (`pipeline_root=` of the kfp client).
        spec["defaultPipelineRoot"] = root
        header = (f"# PIPELINE DEFINITION\n# Name: {spec['pipelineInfo']['name']}\n"
                  f"# Compiled by kerasknow from its TFX pipeline (tfx-{tfx_version.__version__}) for "
                  "Kubeflow Pipelines 2.x; image " + image + "\n")
        with fileio.open(output_file, "w") as f:
            f.write(header + yaml.safe_dump(spec, sort_keys=True))
    else:
        with fileio.open(output_file, "w") as f:
            f.write(json.dumps(job, sort_keys=True))
    return output_file


#: Set in every container: the entrypoint imports TFX (and so TensorFlow) before kerasknow, whose
#: import would set them too late (`kerasknow._env`); the image sets them as well (Dockerfile).
CONTAINER_ENV = {"TF_USE_LEGACY_KERAS": "1", "HF_HUB_OFFLINE": "1"}


def _set_container_env(spec: dict) -> None:
    for executor in spec["deploymentSpec"]["executors"].values():
        container = executor.get("container")
        if container is not None:
            env = [e for e in container.get("env", []) if e["name"] not in CONTAINER_ENV]
            container["env"] = env + [{"name": k, "value": v} for k, v in CONTAINER_ENV.items()]


#: Kubeflow's placeholder for the run (Vertex: the PipelineJob's name), `kfp.dsl.PIPELINE_JOB_NAME_PLACEHOLDER`.
RUN_NAME_PLACEHOLDER = "{{$.pipeline_job_name}}"


def _pass_run_id(spec: dict) -> None:
    """Gives kerasknow's executors (not TFX's Beam steps, whose Beam options would not know the
    flag) the run's name, so `reports/<run>/` and `tensorboard/<run>/` are named by it."""
    from kerasknow.components.knowledge_executor import RUN_ID_FLAG

    for executor in spec["deploymentSpec"]["executors"].values():
        container = executor.get("container")
        if container is None:
            continue
        args = container.get("args", [])
        if "--executor_class_path" in args and args[args.index("--executor_class_path") + 1].startswith("kerasknow."):
            container["args"] = args + [f"{RUN_ID_FLAG}={RUN_NAME_PLACEHOLDER}"]


def _spec_kind(output_file: str) -> str:
    name = str(output_file).lower()
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    raise ConfigError("--kubeflow must name a .yaml file (a PipelineSpec for Kubeflow Pipelines 2.x) or a .json "
                      f"file (a Vertex AI PipelineJob). Received: --kubeflow {output_file!r}")
