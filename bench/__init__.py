"""Benchmark harness of the live-session real-time path (``make bench``; see docs/benchmarks.md)."""
