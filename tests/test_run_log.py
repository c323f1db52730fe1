"""A quiet run: library output of every kind goes to OUTPUT/kerasknow.log, kerasknow's lines to the terminal."""
import io
import logging
import os
import sys
import warnings

from kerasknow.run_log import LOG_NAME, quiet_run


def _library_noise():
    print("Search space summary")  # Keras Tuner prints
    logging.getLogger("absl").warning("ArtifactQuery.property_predicate is not supported.")
    logging.getLogger("transformers.modeling_tf_utils").warning("You should probably TRAIN this model")
    warnings.warn("TensorFlow and JAX classes are deprecated", FutureWarning)
    os.write(2, b"W0000 00:00:1.0 assert_op.cc:38] Ignoring Assert operator\n")  # TF's C++ code
    os.write(1, b"I0000 00:00:1.0 service.cc:145] XLA service initialized\n")


NOISE = ("Search space summary", "property_predicate", "TRAIN this model", "JAX classes are deprecated",
         "Ignoring Assert operator", "XLA service initialized")


def test_library_output_goes_to_the_log_and_kerasknow_lines_to_the_terminal(tmp_path, capfd):
    terminal = io.StringIO()
    root = logging.getLogger()
    before = (sys.stdout, sys.stderr, root.handlers[:], root.level)
    with quiet_run(str(tmp_path / "out"), stdout=terminal) as console:
        console.line("  Trainer  ran  1.0s")
        _library_noise()
    log = (tmp_path / "out" / LOG_NAME).read_text()
    assert terminal.getvalue() == "  Trainer  ran  1.0s\n"
    for noise in NOISE:
        assert noise in log, noise
    assert "  Trainer  ran  1.0s" in log
    captured = capfd.readouterr()
    assert not any(noise in captured.out + captured.err for noise in NOISE)
    # Everything is as it was: the streams, the root logger, the file descriptors.
    assert (sys.stdout, sys.stderr, root.handlers, root.level) == before
    os.write(2, b"after the run\n")
    assert "after the run" in capfd.readouterr().err


def test_verbose_also_shows_the_library_output_on_the_terminal(tmp_path, capfd):
    terminal = io.StringIO()
    with quiet_run(str(tmp_path), verbose=True, stdout=terminal) as console:
        _library_noise()
        console.line("[kerasknow] done")
    log = (tmp_path / LOG_NAME).read_text()
    shown = terminal.getvalue()
    for noise in NOISE:
        assert noise in log and noise in shown, noise
    assert "[kerasknow] done\n" in shown


def test_a_library_handler_made_before_the_run_writes_to_the_log_during_it(tmp_path, capsys):
    library = logging.getLogger("kerasknow_test_library")
    library.propagate = False  # as transformers' own handler does
    handler = logging.StreamHandler(sys.stderr)
    library.addHandler(handler)
    try:
        with quiet_run(str(tmp_path), stdout=io.StringIO()):
            library.warning("You should probably TRAIN this model")
        assert handler.stream is sys.stderr  # given back after the run
    finally:
        library.removeHandler(handler)
    assert "TRAIN this model" in (tmp_path / LOG_NAME).read_text()
    assert "TRAIN this model" not in capsys.readouterr().err


def test_each_run_appends_to_the_log(tmp_path):
    for n in range(2):
        with quiet_run(str(tmp_path), stdout=io.StringIO()):
            print(f"run {n}")
    log = (tmp_path / LOG_NAME).read_text()
    assert log.count("===== kerasknow") == 2 and log.index("run 0") < log.index("run 1")


def test_tfx_info_lines_reach_the_log_after_absl_flags_set_its_verbosity(tmp_path):
    # TensorBoard (among others) parses absl's flags, which sets absl's logger to --verbosity's
    # WARNING; TFX logs each step's start through absl at INFO.
    from absl import logging as absl_logging

    previous = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.WARNING)
    try:
        with quiet_run(str(tmp_path / "out"), stdout=io.StringIO()):
            absl_logging.info("Component Trainer is running.")
        assert "Component Trainer is running." in (tmp_path / "out" / LOG_NAME).read_text()
        assert absl_logging.get_verbosity() == absl_logging.WARNING
    finally:
        absl_logging.set_verbosity(previous)
