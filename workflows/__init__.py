"""Durable Temporal workflows: one per procurement. Deterministic code only, no I/O here."""
