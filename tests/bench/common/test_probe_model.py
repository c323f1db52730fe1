"""The image probe, which no smoke run trains (precision_xla's smoke run probes text only)."""
from bench.common.probe_batches import probe_batches
from bench.common.probe_model import probe_model


def test_the_smoke_image_probe_takes_the_smoke_image_batches():
    ds, batch = probe_batches("image", smoke=True)
    images, labels = next(iter(ds))

    model = probe_model("image", "float32", True, smoke=True)

    assert images.shape == (batch, 32, 32, 3) and labels.shape == (batch,)
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 10)
    assert model.jit_compile
