"""Reading and writing an Examples artifact's splits in a Beam pipeline (GZIP TFRecords)."""
import apache_beam as beam


def split_pattern(uri: str, split: str) -> str:
    """The files of one split of an Examples artifact folder: `<uri>/Split-<split>/*`."""
    return f"{uri.rstrip('/')}/Split-{split}/*"


def has_split(uri: str, split: str) -> bool:
    """Whether the artifact folder holds files for `split` (an old knowledge base may lack one)."""
    from tfx.dsl.io import fileio

    return bool(fileio.glob(split_pattern(uri, split)))


def read_split(p, uri: str, split: str, prefix: str):
    """The serialised tf.Examples of one split, as a PCollection (step names start with `prefix`)."""
    from apache_beam.io.filesystem import CompressionTypes

    return p | f"{prefix}Read{split.title()}" >> beam.io.ReadFromTFRecord(
        split_pattern(uri, split), compression_type=CompressionTypes.GZIP)


def write_split(records, uri: str, split: str, prefix: str):
    """Writes serialised tf.Examples as the split's GZIP TFRecord shards, as ExampleGen lays them
    out (`Split-<split>/data_tfrecord-*.gz`); an empty PCollection still writes one empty shard, so
    readers find every split the artifact names."""
    from apache_beam.io.filesystem import CompressionTypes

    return records | f"{prefix}Write{split.title()}" >> beam.io.WriteToTFRecord(
        f"{uri.rstrip('/')}/Split-{split}/data_tfrecord", file_name_suffix=".gz",
        compression_type=CompressionTypes.GZIP)
