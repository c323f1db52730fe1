import os

import pytest
import tensorflow as tf

from kerasknow.data.local_copy import local_copy
from kerasknow.data.file_system import write_file


def test_a_folder_and_a_file_on_another_file_system_are_copied_once(tmp_path):
    tf.io.gfile.makedirs("ram://local-copy-test/ckpt/sub")
    for name, text in (("vocab.txt", "[PAD]\n[UNK]\n"), ("sub/config.json", "{}")):
        with tf.io.gfile.GFile(f"ram://local-copy-test/ckpt/{name}", "w") as f:
            f.write(text)
    folder = local_copy("ram://local-copy-test/ckpt/", cache_dir=str(tmp_path))
    assert folder.startswith(str(tmp_path)) and os.path.basename(folder) == "ckpt"
    assert open(os.path.join(folder, "vocab.txt")).read() == "[PAD]\n[UNK]\n"
    assert open(os.path.join(folder, "sub", "config.json")).read() == "{}"
    # Copied once while it is unchanged; a changed file is copied again.
    assert local_copy("ram://local-copy-test/ckpt", cache_dir=str(tmp_path)) == folder
    assert not [n for n in os.listdir(os.path.dirname(folder)) if n.startswith(".partial-")]
    write_file("ram://local-copy-test/ckpt/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n")
    again = local_copy("ram://local-copy-test/ckpt", cache_dir=str(tmp_path))
    assert again != folder and open(os.path.join(again, "vocab.txt")).read() == "[PAD]\n[UNK]\n[CLS]\n"

    weights = local_copy("ram://local-copy-test/ckpt/sub/config.json", cache_dir=str(tmp_path))
    assert open(weights).read() == "{}" and weights != folder
    assert local_copy(str(tmp_path)) == str(tmp_path)  # a local path as it is


def test_a_missing_uri_names_the_setting():
    with pytest.raises(FileNotFoundError, match=r"model.checkpoint \(--checkpoint\) does not exist. "
                                                r"Received: 'ram://local-copy-test/nope'"):
        local_copy("ram://local-copy-test/nope", "model.checkpoint (--checkpoint)")
