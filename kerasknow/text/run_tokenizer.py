"""The in-graph tokenizer a BERT task family trains and exports with."""
from kerasknow.config import RunConfig


def run_tokenizer(config: RunConfig):
    """The run checkpoint's `InGraphBertTokenizer`, truncating at `model.max_seq_length`.

    Args:
        config: The run's config (its `model` section: `checkpoint`, `max_seq_length`).

    Returns:
        A `kerasknow.text.in_graph_bert_tokenizer.InGraphBertTokenizer`.

    Example:

    >>> run_tokenizer(RunConfig(model={"max_seq_length": 64})).max_length
    64
    """
    from kerasknow.models.checkpoints import resolve_checkpoint
    from kerasknow.text.in_graph_bert_tokenizer import InGraphBertTokenizer

    return InGraphBertTokenizer.from_checkpoint(resolve_checkpoint(config.model.checkpoint),
                                                max_length=config.model.max_seq_length)
