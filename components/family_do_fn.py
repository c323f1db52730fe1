"""The base of kerasknow's Beam DoFns that read examples as a task family does."""
import apache_beam as beam


class FamilyDoFn(beam.DoFn):
    """A DoFn holding `self._family`, the task family of `task`, looked up once per worker in
    `setup` (the family is not pickled with the DoFn: only its name travels)."""

    def __init__(self, task: str):
        super().__init__()
        self._task = task

    def setup(self):
        from kerasknow.family.registry import get_task_family

        self._family = get_task_family(self._task)
