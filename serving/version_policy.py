"""Which versions on disk a model server loads: TF Serving's `model_version_policy`."""
import dataclasses
from typing import FrozenSet, Iterable, Set

from kerasknow.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class VersionPolicy:
    """TF Serving's `ServableVersionPolicy`: the latest N versions, all of them, or specific ones.

    Args:
        kind: `"latest"`, `"all"` or `"specific"`.
        num_versions: For `latest`: how many of the newest versions to serve.
        versions: For `specific`: the versions to serve.

    Raises:
        ConfigError: For an unknown kind, `num_versions < 1` or an empty `specific` list.

    Example:

    >>> VersionPolicy.latest(1).aspired([1, 3, 2])
    {3}
    >>> sorted(VersionPolicy.specific([1, 2]).aspired([2, 3]))
    [2]
    """

    kind: str = "latest"
    num_versions: int = 1
    versions: FrozenSet[int] = frozenset()

    def __post_init__(self):
        if self.kind not in ("latest", "all", "specific"):
            raise ConfigError(f"model_version_policy must be latest, all or specific. Received: kind={self.kind!r}")
        if self.kind == "latest" and (not isinstance(self.num_versions, int) or self.num_versions < 1):
            raise ConfigError("model_version_policy latest { num_versions } must be >= 1. Received: "
                              f"num_versions={self.num_versions!r}")
        if self.kind == "specific" and not self.versions:
            raise ConfigError("model_version_policy specific { versions } must name at least one version. "
                              "Received: versions=[]")

    @classmethod
    def latest(cls, num_versions: int = 1) -> "VersionPolicy":
        return cls("latest", num_versions=num_versions)

    @classmethod
    def specific(cls, versions: Iterable[int]) -> "VersionPolicy":
        return cls("specific", versions=frozenset(int(v) for v in versions))

    @classmethod
    def from_proto(cls, policy) -> "VersionPolicy":
        """From a `tensorflow.serving.FileSystemStoragePathSourceConfig.ServableVersionPolicy`;
        an unset policy is TF Serving's default, `latest { num_versions: 1 }`."""
        choice = policy.WhichOneof("policy_choice")
        if choice == "all":
            return cls("all")
        if choice == "specific":
            return cls.specific(policy.specific.versions)
        if choice == "latest":
            return cls.latest(policy.latest.num_versions or 1)
        return cls.latest(1)

    def aspired(self, available: Iterable[int]) -> Set[int]:
        """The versions to serve out of `available` (the complete versions on disk)."""
        available = sorted(set(available))
        if self.kind == "all":
            return set(available)
        if self.kind == "specific":
            return set(available) & set(self.versions)
        return set(available[-self.num_versions:])

    def describe(self) -> str:
        if self.kind == "specific":
            return f"specific {sorted(self.versions)}"
        return "all" if self.kind == "all" else f"latest {self.num_versions}"
