import os
import subprocess
import sys
import textwrap

import pytest

from kerasknow.config import RunConfig
from kerasknow.errors import ConfigError
from kerasknow.family.registry import get_task_family
from kerasknow.training import hardware_plan
from kerasknow.training.hardware_plan import CPU_XLA_FLAGS, HardwarePlan, cpu_has_amx_bf16, merge_xla_flags


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
    off = get_task_family("text-classification").hardware_plan(RunConfig(training={"mixed_precision": "off", "xla": "off"}))
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


def test_xla_flags_only_when_xla_compiles_on_a_cpu():
    assert HardwarePlan("cpu", 1, "mixed_bfloat16", True).xla_flags == CPU_XLA_FLAGS
    assert HardwarePlan("cpu", 1, "mixed_bfloat16", False).xla_flags == ()
    assert HardwarePlan("gpu", 1, "mixed_float16", True).xla_flags == ()
    assert HardwarePlan("tpu", 0, "mixed_bfloat16", True).xla_flags == ()


def test_hash_dropout_only_when_xla_compiles_on_a_cpu():
    assert HardwarePlan("cpu", 1, "mixed_bfloat16", True).hash_dropout
    assert not HardwarePlan("cpu", 1, "mixed_bfloat16", False).hash_dropout
    assert not HardwarePlan("gpu", 1, "mixed_float16", True).hash_dropout
    assert not HardwarePlan("tpu", 0, "mixed_bfloat16", True).hash_dropout


def test_merge_xla_flags_keeps_what_the_user_set():
    user = "--xla_cpu_enable_fast_math=false --xla_dump_to=/tmp/d"
    merged = merge_xla_flags(user, CPU_XLA_FLAGS)
    assert merged.split()[:2] == user.split()
    assert "--xla_cpu_enable_fast_math=true" not in merged
    assert "--xla_disable_hlo_passes=tree_reduction_rewriter" in merged.split()
    assert merge_xla_flags(merged, CPU_XLA_FLAGS) == merged  # idempotent
    assert merge_xla_flags("", ()) == ""


def test_apply_xla_flags_updates_the_given_environment():
    env = {"XLA_FLAGS": "--xla_dump_to=/tmp/d"}
    result = HardwarePlan("cpu", 1, "float32", True).apply_xla_flags(env)
    assert env["XLA_FLAGS"] == result == " ".join(("--xla_dump_to=/tmp/d",) + CPU_XLA_FLAGS)
    untouched = {}
    assert HardwarePlan("cpu", 1, "float32", False).apply_xla_flags(untouched) == ""
    assert untouched == {}


def test_cpu_xla_flags_are_accepted_and_remove_the_reduce_window_rewrite(tmp_path):
    # A fresh process: XLA reads XLA_FLAGS once, and aborts on a flag it does not know.
    script = textwrap.dedent(f"""
        import os
        import kerasknow
        from kerasknow.training.hardware_plan import HardwarePlan
        HardwarePlan("cpu", 1, "float32", True).apply_xla_flags()
        os.environ["XLA_FLAGS"] += " --xla_dump_to={tmp_path} --xla_dump_hlo_as_text"
        import tensorflow as tf
        x = tf.reshape(tf.range(2048 * 64, dtype=tf.float32) % 7.0, [2048, 64])
        total = tf.function(lambda v: tf.reduce_sum(v, axis=0), jit_compile=True)(x)
        print("SUM", float(total[0]))
    """)
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SUM " + str(float(sum((i * 64) % 7 for i in range(2048)))) in done.stdout
    optimized = [p for p in tmp_path.iterdir() if p.name.endswith("cpu_after_optimizations.txt")]
    assert optimized, sorted(p.name for p in tmp_path.iterdir())
    hlo = "".join(p.read_text() for p in optimized)
    assert " reduce(" in hlo and "reduce-window(" not in hlo
