"""Benchmarks of document rendering and submission throughput (``make bench``)."""
