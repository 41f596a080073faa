"""Tests of the privacy stage (pipelines/privacy)."""
