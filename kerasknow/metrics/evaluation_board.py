"""The evaluation in TensorBoard: scalars, the metrics text, per-class chart, confusion matrix, PR curves."""
from typing import Any, Dict

#: Image and PR-curve tags the evaluation writes (PR curves: `pr_curves/<class>/pr_curves`).
PER_CLASS_TAG = "per_class_precision_recall_f1"
CONFUSION_TAG = "confusion_matrix"


def write_evaluation_summaries(logdir: str, metrics: Dict[str, Any], text: str) -> None:
    """Writes one evaluation to the TensorBoard run folder `logdir` (step 0).

    - scalars: every entry of `metrics["scalars"]` (accuracy, f1, per-class precision/recall/f1);
    - text `metrics`: `text` (the report `metrics.txt` holds);
    - image `per_class_precision_recall_f1`: one bar chart of every class's three figures;
    - image `confusion_matrix` (classification): counts with the full class names;
    - PR curves `pr_curves/<class>` (classification): one-vs-rest, from `metrics["pr_curves"]`;
    - on an update: the retention scalars (`update/...`) and image `retention` (old classes'
      figures before and after the update).

    Args:
        logdir: The run's `evaluation` folder (`tensorboard/<run>/evaluation`).
        metrics: `TaskFamily.evaluate`'s dict.
        text: The rendered metrics.
    """
    import numpy as np
    import tensorflow as tf
    from tensorboard.plugins.pr_curve import summary as pr_summary

    from kerasknow.metrics.confusion_image import confusion_matrix_image
    from kerasknow.metrics.per_class_chart import per_class_chart

    writer = tf.summary.create_file_writer(logdir)
    with writer.as_default(step=0):
        for name, value in metrics.get("scalars", {}).items():
            tf.summary.scalar(name, value)
        tf.summary.text("metrics", "```\n" + text + "\n```")
        if metrics.get("per_class"):
            tf.summary.image(PER_CLASS_TAG, per_class_chart(metrics["per_class"])[None, ...])
        if "confusion_matrix" in metrics:
            image = confusion_matrix_image(metrics["confusion_matrix"], metrics["labels"])
            tf.summary.image(CONFUSION_TAG, image[None, ...])
        for label, curve in metrics.get("pr_curves", {}).items():
            proto = pr_summary.raw_data_pb(
                f"pr_curves/{label}", *(np.asarray(curve[k]) for k in ("tp", "fp", "tn", "fn", "precision", "recall")),
                num_thresholds=len(curve["tp"]), display_name=label,
                description=f"{label} against the rest: precision and recall at thresholds on its probability")
            tf.summary.experimental.write_raw_pb(proto.SerializeToString(), step=0)
        update = metrics.get("update")
        if update:
            from kerasknow.metrics.retention_image import retention_image
            from kerasknow.update.update_evaluation import update_scalars

            for name, value in update_scalars(update).items():
                tf.summary.scalar(name, value)
            if update.get("retention", {}).get("per_class"):
                tf.summary.image("retention", retention_image(update["retention"]["per_class"])[None, ...])
    writer.close()
