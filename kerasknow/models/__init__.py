"""Model builders and checkpoint helpers (BERT classifiers and taggers, image models)."""
