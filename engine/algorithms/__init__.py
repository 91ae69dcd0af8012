"""Inference algorithms as pure functions over datasets and arrays (no storage, no I/O)."""
