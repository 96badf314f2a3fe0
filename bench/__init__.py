"""Benchmarks: figures printed and written as JSON; not pass/fail tests."""
