"""The image-classification family's parts: readers, backbones, model, input pipeline, export, checks.

Modules load TensorFlow lazily where they can, so the readers work in a process that has not
imported it yet.
"""
