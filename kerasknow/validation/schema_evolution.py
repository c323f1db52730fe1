"""The knowledge schema across updates: free text without string domains, new labels admitted.

TFDV's inferred schema turns a string feature with few distinct values into an enumeration:
with about 100 or fewer training texts, every text becomes an allowed value, and the next run's
new rows fail with "Unexpected string values". Free-text features (`TaskSpec.free_text_features`)
lose their domain here. The label feature keeps its domain, which grows with each update: a new
label is new knowledge (an info finding), not an anomaly.
"""
from typing import Iterable, List, Set, Tuple


def _domain_values(schema, feature) -> Tuple[object, List[str]]:
    """`(holder, values)`: the StringDomain proto a feature's values live in, and the values."""
    if feature.HasField("string_domain"):
        return feature.string_domain, list(feature.string_domain.value)
    if feature.HasField("domain"):
        for domain in schema.string_domain:
            if domain.name == feature.domain:
                return domain, list(domain.value)
    return None, []


def drop_free_text_domains(schema, features: Iterable[str]) -> List[str]:
    """Removes the string domains of `features` (in place); returns the features changed."""
    changed = []
    wanted = set(features)
    for feature in schema.feature:
        if feature.name not in wanted:
            continue
        if feature.HasField("string_domain") or feature.HasField("domain"):
            name = feature.domain if feature.HasField("domain") else ""
            feature.ClearField("string_domain")
            feature.ClearField("domain")
            if name and not any(f.HasField("domain") and f.domain == name for f in schema.feature):
                kept = [d for d in schema.string_domain if d.name != name]
                del schema.string_domain[:]
                schema.string_domain.extend(kept)
            changed.append(feature.name)
    return changed


def label_domain(schema, label_feature: str) -> Set[str]:
    """The label values the schema allows (empty when it sets no domain)."""
    for feature in schema.feature:
        if feature.name == label_feature:
            return set(_domain_values(schema, feature)[1])
    return set()


def admit_labels(schema, label_feature: str, labels: Iterable[str]) -> List[str]:
    """Adds `labels` the label feature's domain lacks (in place); returns them, sorted.

    A schema without a domain for the feature allows any value and is left as it is.

    Example:

    >>> from tensorflow_metadata.proto.v0 import schema_pb2
    >>> schema = schema_pb2.Schema()
    >>> feature = schema.feature.add(name="label", domain="label")
    >>> schema.string_domain.add(name="label", value=["sport", "tech"])  # doctest: +ELLIPSIS
    name: "label"...
    >>> admit_labels(schema, "label", ["tech", "business"]), sorted(label_domain(schema, "label"))
    (['business'], ['business', 'sport', 'tech'])
    """
    for feature in schema.feature:
        if feature.name != label_feature:
            continue
        holder, values = _domain_values(schema, feature)
        if holder is None:
            return []
        added = sorted(set(labels) - set(values))
        holder.value.extend(added)
        return added
    return []


def set_drift_comparators(schema, label_feature: str, length_features: Iterable[str], label_threshold: float,
                          length_threshold: float) -> None:
    """L-infinity on the label distribution, Jensen-Shannon on length distributions (in place)."""
    lengths = set(length_features)
    for feature in schema.feature:
        if feature.name == label_feature:
            feature.drift_comparator.infinity_norm.threshold = label_threshold
        elif feature.name in lengths:
            feature.drift_comparator.jensen_shannon_divergence.threshold = length_threshold
