import json

from kerasknow.config import RunConfig
from kerasknow.pipelines import create_pipeline


def _data(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("text,label\n" + "".join(f"text {i},{'ab'[i % 2]}\n" for i in range(20)))
    return str(data)


def test_pipeline_shape_and_schema_choice(tmp_path):
    cfg = RunConfig(data=_data(tmp_path), output=str(tmp_path / "out"))
    p = create_pipeline(cfg, str(tmp_path / "root"), str(tmp_path / "m.sqlite"))
    ids = [c.id for c in p.components]
    assert ids == ["KnowledgeExampleGen", "StatisticsGen", "previous_knowledge", "SchemaGen", "KnowledgeValidator",
                   "KnowledgeBase", "Tuner", "Trainer", "KnowledgeEvaluator", "KnowledgePusher"]
    schema = tmp_path / "schema.pbtxt"
    schema.write_text("")
    p = create_pipeline(cfg, str(tmp_path / "root"), None, schema_path=str(schema), enable_tuning=False)
    assert "ImportSchemaGen" in [c.id for c in p.components] and "SchemaGen" not in [c.id for c in p.components]
    assert "Tuner" not in [c.id for c in p.components]


def test_compile_for_kubeflow_v2(tmp_path):
    from kerasknow.kubeflow_compile import compile_kubeflow

    cfg = RunConfig(data=_data(tmp_path), output=str(tmp_path / "out"))
    out = compile_kubeflow(cfg, str(tmp_path / "spec" / "pipeline.json"), image="example/kerasknow:1")
    spec = json.load(open(out))
    tasks = spec["pipelineSpec"]["root"]["dag"]["tasks"]
    assert set(tasks) >= {"KnowledgeExampleGen", "KnowledgeValidator", "Tuner", "Trainer", "KnowledgeEvaluator", "KnowledgePusher"}
    images = {e["container"]["image"] for e in spec["pipelineSpec"]["deploymentSpec"]["executors"].values()
              if "container" in e}
    assert images == {"example/kerasknow:1"}
