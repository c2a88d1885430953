"""Benchmarks and the idiomatic-Mesa reference model."""
