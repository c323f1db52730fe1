"""The TFX resolver strategy that finds the blessed model an update builds on, in ML Metadata.

An update learns new knowledge on top of the latest blessed model. The model artifact names the
knowledge base it learnt (`Format-Keras/knowledge.json`: the KnowledgeBase's `knowledge`,
`knowledge_statistics` and `knowledge_schema` artifacts, all in ML Metadata), so resolving the
model resolves the knowledge too.

Locally the blessed model chosen is the newest one **not trained on the current examples**: a
rerun of a run with the same knowledge then resolves what that run resolved, so TFX finds every
step's inputs unchanged and caches the whole run, as it does for a first run. (Kubeflow's
compiler takes only TFX's own strategies: a compiled pipeline uses `LatestBlessedModelStrategy`,
and a rerun there updates again; docs/kubeflow.md.)
"""
from typing import Dict, List, Optional, Set

from tfx import types
from tfx.dsl.components.common import resolver

MODEL = "model"
MODEL_BLESSING = "model_blessing"
EXAMPLES = "examples"


def _events(store, execution_id: int, kind: int) -> Dict[str, List[int]]:
    """Artifact ids of one execution's events of `kind`, by their channel key."""
    out: Dict[str, List[int]] = {}
    for event in store.get_events_by_execution_ids([execution_id]):
        if event.type != kind:
            continue
        keys = [s.key for s in event.path.steps if s.HasField("key")]
        if keys:
            out.setdefault(keys[0], []).append(event.artifact_id)
    return out


def _producer(store, artifact_id: int) -> Optional[int]:
    from ml_metadata.proto import metadata_store_pb2

    for event in store.get_events_by_artifact_ids([artifact_id]):
        if event.type == metadata_store_pb2.Event.OUTPUT:
            return event.execution_id
    return None


def examples_of_model(store, model_id: int) -> Optional[Set[int]]:
    """The new examples a model learnt: the input `examples` of the KnowledgeBase execution that
    wrote its training examples; None for a model not trained from KnowledgeBase examples."""
    from ml_metadata.proto import metadata_store_pb2

    trainer = _producer(store, model_id)
    if trainer is None:
        return None
    training = _events(store, trainer, metadata_store_pb2.Event.INPUT).get(EXAMPLES, [])
    base = _producer(store, training[0]) if training else None
    if base is None:
        return None
    return set(_events(store, base, metadata_store_pb2.Event.INPUT).get(EXAMPLES, []))


class PreviousKnowledgeStrategy(resolver.ResolverStrategy):
    """Resolves the newest blessed model not trained on the current examples.

    Inputs (`tfx.dsl.Resolver` channels): `model` (every Trainer model), `model_blessing` (every
    KnowledgeEvaluator blessing) and `examples` (this run's KnowledgeExampleGen output). Outputs
    the same keys: the chosen model and its blessing, or empty lists when there is nothing to
    build on (a first run, or a rerun of it); `examples` passes through.

    Example:

    ```python
    previous = tfx.dsl.Resolver(
        strategy_class=PreviousKnowledgeStrategy,
        model=Channel(type=Model), model_blessing=Channel(type=ModelBlessing),
        examples=example_gen.outputs["examples"],
    ).with_id("previous_knowledge")
    ```
    """

    def resolve_artifacts(self, store, input_dict: Dict[str, List[types.Artifact]]
                          ) -> Optional[Dict[str, List[types.Artifact]]]:
        empty = {key: [] for key in input_dict}
        empty[EXAMPLES] = list(input_dict.get(EXAMPLES, []))
        current = {a.id for a in input_dict.get(EXAMPLES, [])}
        blessed = {b.get_int_custom_property("current_model_id"): b for b in input_dict.get(MODEL_BLESSING, [])
                   if b.get_int_custom_property("blessed") == 1}
        for model in sorted(input_dict.get(MODEL, []), key=lambda a: a.id, reverse=True):
            if model.id not in blessed:
                continue
            learnt = examples_of_model(store, model.id)
            if learnt is None or learnt & current:
                continue  # not from this pipeline's knowledge base, or trained on this very data
            result = dict(empty)
            result[MODEL], result[MODEL_BLESSING] = [model], [blessed[model.id]]
            return result
        return empty
