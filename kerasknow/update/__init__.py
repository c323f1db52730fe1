"""Knowledge updates: merging new knowledge into the old, replay samples, and the training
strategies that learn the new without forgetting the old (docs/knowledge-update.md)."""
