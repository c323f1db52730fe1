"""What a task family declares about itself without loading TensorFlow."""
import dataclasses
from typing import Tuple

#: The BERT families' learning-rate choices for strategies that train few weights: a frozen
#: encoder's head, biases, LoRA updates and adapters learn at ~1e-3 where a full fine-tune wants
#: ~1e-4 (the BitFit and adapter papers' ranges). LoRA's first choice (the rate of `--no-tune`)
#: is 2e-3, measured: at the LoRA paper's 5e-4, three epochs of MiniLM on BBC headlines ended 4.7
#: points under full fine-tuning, at 2e-3 0.7 under (and 0.4 on articles); docs/finetuning.md.
BERT_STRATEGY_LEARNING_RATES = (("head", (1e-3, 5e-4)), ("bitfit", (1e-3, 5e-4)), ("lora", (2e-3, 1e-3)),
                                ("adapter", (1e-3, 3e-4)))


@dataclasses.dataclass(frozen=True)
class TaskSpec:
    """A task family's declarations: the one place its names, formats and defaults live.

    The CLI's choices, `RunConfig`'s validation and the family class all read them, so a value a
    family cannot take fails before a pipeline starts. Each family's spec sits in its own folder
    (`kerasknow/text/text_spec.py`, ...) and imports nothing but this module.

    Args:
        name: The `--task` value and registry name.
        summary: One line for `--help`.
        input_formats: The `ingest.input_format` values the family reads; the first is the
            default (`"auto"`: detected from the data).
        learning_rates: Keras Tuner's learning-rate choices when the config names none.
        tuner_objective: The validation metric Keras Tuner maximises (a name `model.fit` logs).
        accuracy_name: What the family's `accuracy` measures, for messages.
        f1_name: What the family's `f1` measures, for messages.
        label_feature: The tf.Example feature holding the label(s).
        free_text_features: Features whose values are free (texts, tokens, image bytes): the
            schema gives them no string domain, so new knowledge never fails on "unexpected
            string values" there.
        length_features: Numeric features whose distribution drift is measured with TFDV's
            Jensen-Shannon comparator (lengths in words or tokens, image sides).
        finetune_strategies: The `finetune.strategy` values the family takes, besides `auto`.
        weight_averaging: Whether the family trains with `training.ema_momentum`.
        default_finetune_strategy: What `finetune.strategy: auto` means for the family.
        strategy_learning_rates: `(strategy, learning rates)` pairs: Keras Tuner's choices for
            those strategies when the config names none; other strategies take
            `learning_rates`.
        phased_strategies: Strategies that train in two phases (the head on the frozen
            model first, then more of it opened); a trial of one epoch trains only the first.

    Example:

    >>> spec = TaskSpec("demo", "a demo", ("auto", "csv"), (1e-3,), "val_accuracy")
    >>> spec.default_input_format
    'auto'
    """

    name: str
    summary: str
    input_formats: Tuple[str, ...]
    learning_rates: Tuple[float, ...]
    tuner_objective: str
    accuracy_name: str = "accuracy"
    f1_name: str = "macro-F1"
    label_feature: str = "label"
    free_text_features: Tuple[str, ...] = ()
    length_features: Tuple[str, ...] = ()
    finetune_strategies: Tuple[str, ...] = ("full", "head", "top_k", "bitfit", "lora", "adapter")
    default_finetune_strategy: str = "full"
    strategy_learning_rates: Tuple[Tuple[str, Tuple[float, ...]], ...] = ()
    weight_averaging: bool = False
    phased_strategies: Tuple[str, ...] = ()

    def finetune_strategy(self, strategy: str) -> str:
        """`strategy` with `auto` resolved to the family's default.

        >>> TaskSpec("demo", "a demo", ("auto",), (1e-3,), "val_accuracy").finetune_strategy("auto")
        'full'
        """
        return self.default_finetune_strategy if strategy == "auto" else strategy

    def learning_rates_of(self, strategy: str) -> Tuple[float, ...]:
        """The default learning-rate choices of `strategy` (`auto` resolved first).

        >>> spec = TaskSpec("demo", "a demo", ("auto",), (1e-4,), "val_accuracy",
        ...                 strategy_learning_rates=(("lora", (1e-3,)),))
        >>> spec.learning_rates_of("lora"), spec.learning_rates_of("auto")
        ((0.001,), (0.0001,))
        """
        return dict(self.strategy_learning_rates).get(self.finetune_strategy(strategy), self.learning_rates)

    @property
    def default_input_format(self) -> str:
        return self.input_formats[0]
