"""Joint and cooperative purchasing: local governments and school districts buying off State
master contracts (the CMS Joint Purchasing Program) and cooperative contracts led by a
district (Illinois Together), under the Governmental Joint Purchasing Act (30 ILCS 525).

Pure: who may join and on what basis, which document each program needs on file, whether an
order fits its contract's term and ceiling, and when a member is reminded. The order workflow,
its activities and the API apply these rules; nothing here reads a clock or a database.
"""
