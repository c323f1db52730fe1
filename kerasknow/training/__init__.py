"""Training plumbing shared by task families: hardware, strategies, callbacks."""
