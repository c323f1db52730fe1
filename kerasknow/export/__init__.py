"""SavedModel export with serving signatures that take raw inputs (text, tf.Example)."""
