import pytest

from kerasknow.config import RunConfig
from kerasknow.errors import ConfigError
from kerasknow.tasks.registry import get_task_family
from kerasknow.training import hardware_plan
from kerasknow.training.hardware_plan import HardwarePlan, cpu_has_amx_bf16


@pytest.fixture
def amx(monkeypatch):
    """Pretends the CPU has (True) or lacks (False) AMX-BF16."""
    def set_amx(value: bool):
        monkeypatch.setattr(hardware_plan, "cpu_has_amx_bf16", lambda: value)
    return set_amx


def test_cpu_auto_uses_bfloat16_only_on_amx_and_when_the_family_gains(amx):
    amx(True)
    assert HardwarePlan.detect(cpu_bfloat16=True).precision_policy == "mixed_bfloat16"
    assert HardwarePlan.detect(cpu_bfloat16=False).precision_policy == "float32"
    amx(False)
    assert HardwarePlan.detect(cpu_bfloat16=True).precision_policy == "float32"
    # "on" and "off" are the user's word, whatever the CPU.
    assert HardwarePlan.detect("on").precision_policy == "mixed_bfloat16"
    amx(True)
    assert HardwarePlan.detect("off", cpu_bfloat16=True).precision_policy == "float32"


def test_cpu_auto_xla_follows_the_family_and_switches_override(amx):
    amx(False)
    assert HardwarePlan.detect(cpu_xla=True).jit_compile is True
    assert HardwarePlan.detect(cpu_xla=False).jit_compile is False
    assert HardwarePlan.detect(xla="on").jit_compile is True
    assert HardwarePlan.detect(xla="off", cpu_xla=True).jit_compile is False
    plan = HardwarePlan.detect()
    assert (plan.device, plan.num_devices) == ("cpu", 1)
    assert plan.describe() == "1 CPU, precision float32, XLA off"


def test_families_choose_what_measured_faster(amx):
    amx(True)
    text = get_task_family("text-classification").hardware_plan(RunConfig())
    assert (text.precision_policy, text.jit_compile) == ("mixed_bfloat16", True)
    ner = get_task_family("ner").hardware_plan(RunConfig(task="ner"))
    assert (ner.precision_policy, ner.jit_compile) == ("mixed_bfloat16", False)
    images = get_task_family("image-classification").hardware_plan(RunConfig(task="image-classification"))
    assert (images.precision_policy, images.jit_compile) == ("float32", False)
    off = get_task_family("text-classification").hardware_plan(RunConfig(mixed_precision="off", xla="off"))
    assert (off.precision_policy, off.jit_compile) == ("float32", False)


def test_bad_switch_values():
    with pytest.raises(ConfigError, match=r"mixed_precision must be 'auto', 'on' or 'off'\. Received: mixed_precision='yes'"):
        HardwarePlan.detect(mixed_precision="yes")
    with pytest.raises(ConfigError, match=r"xla must be 'auto', 'on' or 'off'\. Received: xla=1"):
        HardwarePlan.detect(xla=1)


def test_cpu_has_amx_bf16_reads_the_flags_line(tmp_path):
    with_amx = tmp_path / "with"
    with_amx.write_text("processor\t: 0\nflags\t\t: fpu sse avx512f amx_bf16 amx_tile amx_int8\n")
    without = tmp_path / "without"
    without.write_text("processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16\n")
    assert cpu_has_amx_bf16(str(with_amx)) is True
    assert cpu_has_amx_bf16(str(without)) is False
    assert cpu_has_amx_bf16(str(tmp_path / "missing")) is False


def test_apply_precision_sets_the_global_policy():
    import tensorflow as tf

    try:
        HardwarePlan("cpu", 1, "mixed_bfloat16", False).apply_precision()
        assert tf.keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        tf.keras.mixed_precision.set_global_policy("float32")
