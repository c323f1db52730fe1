"""The BERT checkpoint a text benchmark trains: MiniLM measured, a tiny random BERT in smoke."""
import os


def bert_checkpoint(smoke: bool, workdir: str, checkpoint: str = "") -> str:
    """Resolves the checkpoint, or writes the tiny one of `kerasknow.testing` for a smoke run.

    Args:
        smoke: Write and return a tiny random BERT (hidden 16, one layer, MiniLM's vocabulary)
            under `workdir`: each model a smoke run builds costs seconds of tracing per layer.
        workdir: A scratch folder that outlives the benchmark's models.
        checkpoint: The measured checkpoint: `""` for MiniLM (all-MiniLM-L6-v2), a directory
            or a hub name (`kerasknow.models.checkpoints.resolve_checkpoint`).

    Returns:
        What `TFBert*.from_pretrained` and `BertTokenizerFast.from_pretrained` take.
    """
    if smoke:
        from kerasknow.testing import make_tiny_bert_checkpoint

        return make_tiny_bert_checkpoint(os.path.join(workdir, "tiny-bert"), num_layers=1)
    from kerasknow.models.checkpoints import resolve_checkpoint

    return resolve_checkpoint(checkpoint)
