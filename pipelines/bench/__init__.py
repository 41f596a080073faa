"""Benchmarks across stages (``flywheel bench``) and what they need to prepare their data."""
