"""How much of a model trains: the count every run logs."""
import dataclasses


@dataclasses.dataclass(frozen=True)
class TrainableSummary:
    """Trainable and total parameters of a model.

    Args:
        trainable: Scalars in `model.trainable_weights`.
        total: Scalars in `model.weights`.
        strategy: The `finetune.strategy` the model was built with, for the message.

    Example:

    >>> TrainableSummary(1_000, 200_000, "lora").describe()
    'finetune lora: 1,000 of 200,000 parameters trainable (0.50%)'
    """

    trainable: int
    total: int
    strategy: str = ""

    @property
    def fraction(self) -> float:
        """`trainable / total` (0 for an empty model)."""
        return self.trainable / self.total if self.total else 0.0

    def describe(self) -> str:
        """One line for the run's log."""
        prefix = f"finetune {self.strategy}: " if self.strategy else ""
        return f"{prefix}{self.trainable:,} of {self.total:,} parameters trainable ({100 * self.fraction:.2f}%)"

    def to_dict(self) -> dict:
        return {"strategy": self.strategy, "trainable_params": self.trainable, "total_params": self.total,
                "trainable_fraction": round(self.fraction, 6)}

    @classmethod
    def of(cls, model, strategy: str = "") -> "TrainableSummary":
        """The summary of a Keras model (each variable counted once)."""
        from kerasknow.models.weight_freezing import count_params

        return cls(count_params(model.trainable_weights), count_params(model.weights), strategy)
