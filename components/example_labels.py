"""A Beam DoFn giving the labels of serialised tf.Examples, as their task family reads them."""
from kerasknow.components.family_do_fn import FamilyDoFn


class ExampleLabels(FamilyDoFn):
    """Each label of one serialised tf.Example (`TaskFamily.example_labels`)."""

    def process(self, data):
        from kerasknow.data.example_codec import decode_example

        yield from self._family.example_labels(decode_example(data))
