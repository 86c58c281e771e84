#!/bin/sh
# Runs once, when the postgres-data volume is first initialised (the postgres image runs
# /docker-entrypoint-initdb.d/* only on an empty data directory). Later password changes
# must be made with ALTER ROLE; see deploy/README.md.
#
#   procure   login role owning the `procure` database (the service's own schema,
#             applied by `procure migrate`).
#   temporal  login role with CREATEDB and nothing else: temporal-admin-tools creates
#             and owns the `temporal` and `temporal_visibility` databases with it.
#
# The two roles never share a database: see the postgres service in docker-compose.yml.
#
# Written to work whether the entrypoint executes this file or sources it (it sources
# files without the executable bit), so it changes no shell options and stops the
# initialisation with `exit 1` on error.

: "${PROCURE_DB_PASSWORD:?PROCURE_DB_PASSWORD must be set}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"

# Passwords travel as psql variables and are quoted by psql (:'name'), so any
# character is safe in them.
psql -v ON_ERROR_STOP=1 \
     --username "${POSTGRES_USER:-postgres}" \
     --dbname "${POSTGRES_DB:-postgres}" \
     --set procure_password="$PROCURE_DB_PASSWORD" \
     --set temporal_password="$TEMPORAL_DB_PASSWORD" <<'SQL' || exit 1
CREATE ROLE procure LOGIN PASSWORD :'procure_password';
CREATE DATABASE procure OWNER procure;
-- Only its owner (and superusers) may connect to the service's database.
REVOKE ALL ON DATABASE procure FROM PUBLIC;

CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
SQL
