"""The HTTP API (FastAPI, /v1): agencies, vendors, supervisors and the public."""
