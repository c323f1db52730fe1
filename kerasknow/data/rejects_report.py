"""Counts every knowledge record read and keeps each unusable one with its reason."""
import collections
import dataclasses
import json
import os
from typing import Dict, List, Optional

from kerasknow.config.settings import setting
from kerasknow.errors import DataError


@dataclasses.dataclass(frozen=True)
class Reject:
    """One unusable record: where it was and why it could not be used."""

    source: str
    line: Optional[int]
    reason: str
    excerpt: str = ""

    def location(self) -> str:
        return f"{self.source}:{self.line}" if self.line is not None else self.source


class RejectsReport:
    """Ledger of records read, used and rejected.

    Every record a reader sees goes through exactly one of `accept()` or `reject()`, so
    `read == used + rejected` always holds. The report is written as JSONL (one reject per line)
    plus a readable text summary.

    Args:
        max_reject_fraction: Largest tolerated `rejected / read`; `check()` raises above it.

    Example:

    >>> report = RejectsReport(max_reject_fraction=0.5)
    >>> report.accept()
    >>> report.reject("data.csv", 3, "empty text")
    >>> report.read, report.used, report.rejected
    (2, 1, 1)
    """

    def __init__(self, max_reject_fraction: float = 0.01):
        if not 0.0 <= max_reject_fraction <= 1.0:
            raise ValueError(
                "max_reject_fraction must be in [0, 1]. "
                f"Received: max_reject_fraction={max_reject_fraction!r}"
            )
        self.max_reject_fraction = max_reject_fraction
        self.used = 0
        self.rejects: List[Reject] = []
        # Changes the reader made to records it kept (e.g. IOB1 converted, BIO repaired):
        # name -> JSON value, reported in summary.json and rejects.txt.
        self.changes: Dict[str, object] = {}

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    @property
    def read(self) -> int:
        return self.used + self.rejected

    def accept(self) -> None:
        self.used += 1

    def reject(self, source: str, line: Optional[int], reason: str, excerpt: str = "") -> None:
        self.rejects.append(Reject(str(source), line, reason, excerpt[:200]))

    def reasons(self) -> Dict[str, int]:
        """Counts of rejects by reason (the text before the first ':')."""
        return dict(collections.Counter(r.reason.split(":")[0] for r in self.rejects))

    def summary(self) -> dict:
        return {
            "read": self.read,
            "used": self.used,
            "rejected": self.rejected,
            "reject_fraction": self.rejected / self.read if self.read else 0.0,
            "max_reject_fraction": self.max_reject_fraction,
            "by_reason": self.reasons(),
            "changes": dict(self.changes),
        }

    def summary_line(self) -> str:
        return f"read {self.read}, used {self.used}, rejected {self.rejected}"

    def write(self, directory: str) -> str:
        """Writes `rejects.jsonl`, `rejects.txt` and `summary.json` under `directory`.

        Returns:
            The path of `rejects.txt`.
        """
        from tfx.dsl.io import fileio

        fileio.makedirs(directory)
        with fileio.open(os.path.join(directory, "rejects.jsonl"), "w") as f:
            for r in self.rejects:
                f.write(json.dumps(dataclasses.asdict(r), ensure_ascii=False) + "\n")
        with fileio.open(os.path.join(directory, "summary.json"), "w") as f:
            f.write(json.dumps(self.summary(), indent=2))
        text_path = os.path.join(directory, "rejects.txt")
        with fileio.open(text_path, "w") as f:
            f.write(f"Knowledge data: {self.summary_line()}\n")
            for name, value in sorted(self.changes.items()):
                f.write(f"  changed: {name}: {value}\n")
            for reason, n in sorted(self.reasons().items()):
                f.write(f"  {n:6d}  {reason}\n")
            f.write("\n")
            for r in self.rejects:
                f.write(f"{r.location()}: {r.reason}" + (f"  [{r.excerpt!r}]" if r.excerpt else "") + "\n")
        return text_path

    def check(self, report_path: str = "") -> None:
        """Raises `DataError` when no record is usable or too many were rejected."""
        where = f" Rejects report: {report_path}" if report_path else ""
        if self.used == 0:
            first = f" First reject: {self.rejects[0].location()}: {self.rejects[0].reason}." if self.rejects else ""
            raise DataError(
                f"No usable knowledge records ({self.summary_line()}).{first}{where}"
            )
        fraction = self.rejected / self.read
        if fraction > self.max_reject_fraction:
            first = self.rejects[0]
            raise DataError(
                f"{self.rejected} of {self.read} records were rejected ({fraction:.1%}), more than "
                f"the allowed max_reject_fraction={self.max_reject_fraction:.1%}. First reject: "
                f"{first.location()}: {first.reason}. Fix the data or raise "
                f"{setting('ingest.max_reject_fraction')}.{where}"
            )
