"""Channel and parameter names of kerasknow's components, as TFX's `standard_component_specs`.

Specs, components, executors and tests use these names, never the strings.
"""
from tfx.types import standard_component_specs as _std

#: The parameter holding the config sections a component reads (JSON, `RunConfig.to_json`).
CONFIG_KEY = "config"
#: KnowledgeExampleGen's fingerprint of the input files (its cache key for changed data).
INPUT_FINGERPRINT_KEY = "input_fingerprint"

EXAMPLES_KEY = _std.EXAMPLES_KEY
STATISTICS_KEY = _std.STATISTICS_KEY
SCHEMA_KEY = _std.SCHEMA_KEY
ANOMALIES_KEY = _std.ANOMALIES_KEY
MODEL_KEY = _std.MODEL_KEY
BLESSING_KEY = _std.BLESSING_KEY
MODEL_BLESSING_KEY = _std.MODEL_BLESSING_KEY
PUSHED_MODEL_KEY = _std.PUSHED_MODEL_KEY
PREFLIGHT_KEY = "preflight"
REJECTS_KEY = "rejects"
REPORT_KEY = "report"
EVALUATION_KEY = "evaluation"
TRAINING_KEY = "training"
KNOWLEDGE_KEY = "knowledge"
KNOWLEDGE_STATISTICS_KEY = "knowledge_statistics"
KNOWLEDGE_SCHEMA_KEY = "knowledge_schema"
PREVIOUS_MODEL_KEY = "previous_model"
KEPT_SCHEMA_KEY = "kept_schema"
BASELINE_MODEL_KEY = _std.BASELINE_MODEL_KEY
