"""Temporal activities: every side effect a procurement workflow has goes through here."""
