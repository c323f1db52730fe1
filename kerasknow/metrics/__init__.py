"""Metrics shared by task families."""
