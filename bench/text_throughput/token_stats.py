"""Counts the tokens a dataset's batches compute, padding included."""


def token_stats(ds):
    """One pass over `ds`: how many examples, real tokens and computed tokens (with padding).

    Args:
        ds: A dataset of `(features, labels)` whose features have an `attention_mask`.

    Returns:
        `(examples, real_tokens, computed_tokens)`.
    """
    examples = real = computed = 0
    for features, _ in ds:
        mask = features["attention_mask"].numpy()
        examples += mask.shape[0]
        real += int(mask.sum())
        computed += mask.size
    return examples, real, computed
