from kerasknow.config import RunConfig
from kerasknow.pipelines import create_pipeline, create_validation_pipeline

BEAM_ARGS = ["--runner=FlinkRunner", "--flink_master=localhost:8081"]


def _data(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("text,label\n" + "".join(f"fact {i},{'ab'[i % 2]}\n" for i in range(10)), encoding="utf-8")
    return str(path)


def test_the_validation_pipeline_is_the_first_half_and_beam_args_reach_every_data_step(tmp_path):
    cfg = RunConfig(data=_data(tmp_path), output=str(tmp_path / "out"))
    pipeline = create_validation_pipeline(cfg, str(tmp_path / "tfx"), str(tmp_path / "m.sqlite"),
                                          beam_pipeline_args=BEAM_ARGS)
    assert [c.id for c in pipeline.components] == ["KnowledgeExampleGen", "StatisticsGen", "SchemaGen",
                                                    "KnowledgeValidator"]
    assert pipeline.pipeline_info.pipeline_name == cfg.resolved_pipeline_name() + "-validate"
    for component in pipeline.components:
        if component.id != "SchemaGen":  # TFX's SchemaGen is no Beam step
            assert component.executor_spec.beam_pipeline_args[:2] == BEAM_ARGS, component.id


def test_the_run_pipeline_hands_beam_args_to_ingest_and_the_validator(tmp_path):
    cfg = RunConfig(data=_data(tmp_path), output=str(tmp_path / "out"))
    pipeline = create_pipeline(cfg, str(tmp_path / "tfx"), str(tmp_path / "m.sqlite"), beam_pipeline_args=BEAM_ARGS)
    by_id = {c.id: c for c in pipeline.components}
    for name in ("KnowledgeExampleGen", "StatisticsGen", "KnowledgeValidator"):
        assert by_id[name].executor_spec.beam_pipeline_args[:2] == BEAM_ARGS, name
