"""The procurement state machine: states, triggers and guards, pure and deterministic."""
