"""Pure statutory rules of the Illinois Procurement Code: no I/O, no Temporal, no web."""
