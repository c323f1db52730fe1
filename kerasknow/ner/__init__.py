"""Named-entity recognition: CoNLL reading, BIO tags, word-piece alignment, model, metrics, export."""
