"""Benchmarks, run by hand (each module says how); their figures go in the issue notes."""
