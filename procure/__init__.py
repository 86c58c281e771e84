"""The ``procure`` command and the service's runtime: settings, clock, worker, dev stack."""
