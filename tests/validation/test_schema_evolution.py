"""Schema evolution on real TFDV statistics and inferred schemas (no hand-built anomalies)."""
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import anomalies_pb2

from kerasknow.validation.schema_evolution import (admit_labels, drop_free_text_domains, label_domain,
                                                   set_drift_comparators)


def _stats(rows):
    import pandas as pd

    return tfdv.generate_statistics_from_dataframe(pd.DataFrame(rows, columns=["text", "label", "num_words"]))


def _rows(n, labels, prefix):
    return [[f"{prefix} fact {i}", labels[i % len(labels)], len(f"{prefix} fact {i}".split()) + i % 5] for i in range(n)]


def test_inferred_schemas_enumerate_few_texts_and_the_evolution_frees_them():
    first = _stats(_rows(40, ["sport", "tech"], "old"))
    schema = tfdv.infer_schema(first)
    assert label_domain(schema, "text")  # TFDV's inference: every text an allowed value
    later = _stats(_rows(20, ["sport", "art"], "new"))
    anomalies = tfdv.validate_statistics(later, schema)
    assert "text" in anomalies.anomaly_info and "label" in anomalies.anomaly_info  # what a second run hit

    assert drop_free_text_domains(schema, ["text"]) == ["text"] and label_domain(schema, "text") == set()
    assert admit_labels(schema, "label", ["sport", "art"]) == ["art"]
    assert label_domain(schema, "label") == {"sport", "tech", "art"}
    assert not tfdv.validate_statistics(later, schema).anomaly_info


def test_drift_comparators_report_a_changed_label_and_length_distribution():
    old = _stats(_rows(60, ["sport", "tech"], "old"))
    schema = tfdv.infer_schema(old)
    drop_free_text_domains(schema, ["text"])
    same = _stats(_rows(60, ["sport", "tech"], "again"))
    shifted = _stats([[f"{'a ' * 40}{i}", "sport", 41 + i % 7] for i in range(60)])
    admit_labels(schema, "label", ["sport"])
    set_drift_comparators(schema, "label", ["num_words"], label_threshold=0.25, length_threshold=0.1)
    assert not tfdv.validate_statistics(same, schema, previous_statistics=old).anomaly_info
    drift = tfdv.validate_statistics(shifted, schema, previous_statistics=old)
    kinds = {r.type for info in drift.anomaly_info.values() for r in info.reason}
    assert anomalies_pb2.AnomalyInfo.COMPARATOR_L_INFTY_HIGH in kinds
    assert anomalies_pb2.AnomalyInfo.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH in kinds


def test_a_schema_without_a_label_domain_admits_nothing():
    from tensorflow_metadata.proto.v0 import schema_pb2

    schema = schema_pb2.Schema()
    schema.feature.add(name="label")
    assert admit_labels(schema, "label", ["x"]) == [] and label_domain(schema, "label") == set()
