#!/bin/sh
# temporal-admin-tools job: create Temporal's two PostgreSQL databases if they are
# missing, then bring both schemas up to the version shipped in this admin-tools image
# (/etc/temporal/schema). Safe to run on every start and after upgrading the image:
# `setup-schema -v 0.0` leaves an already initialised database alone and
# `update-schema` applies only the versions it has not seen.
#
# POSIX sh only: recent admin-tools images are Alpine without bash.
#
# Environment:
#   POSTGRES_SEEDS          PostgreSQL host                      (required)
#   DB_PORT                 PostgreSQL port                      (default 5432)
#   POSTGRES_USER           role Temporal connects as; needs CREATEDB to create the
#                           databases, or they must exist already  (required)
#   SQL_PASSWORD            its password, read by temporal-sql-tool itself (required)
#   TEMPORAL_DB             main database                        (default temporal)
#   TEMPORAL_VISIBILITY_DB  visibility database                  (default temporal_visibility)
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS must be set}"
: "${POSTGRES_USER:?POSTGRES_USER must be set}"
: "${SQL_PASSWORD:?SQL_PASSWORD must be set}"
DB_PORT="${DB_PORT:-5432}"
TEMPORAL_DB="${TEMPORAL_DB:-temporal}"
TEMPORAL_VISIBILITY_DB="${TEMPORAL_VISIBILITY_DB:-temporal_visibility}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --endpoint "$POSTGRES_SEEDS" --port "$DB_PORT" \
    --user "$POSTGRES_USER" "$@"
}

echo "waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT"
tries=0
until nc -z -w 3 "$POSTGRES_SEEDS" "$DB_PORT"; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "PostgreSQL at $POSTGRES_SEEDS:$DB_PORT did not answer" >&2
    exit 1
  fi
  sleep 2
done

create_database() {
  if output=$(sql_tool --database "$1" create 2>&1); then
    echo "created database $1"
  else
    case "$output" in
      *"already exists"*) echo "database $1 already exists" ;;
      *) printf '%s\n' "$output" >&2; return 1 ;;
    esac
  fi
}

migrate_database() {
  echo "migrating $1 from $2"
  sql_tool --database "$1" setup-schema -v 0.0
  sql_tool --database "$1" update-schema -d "$2"
}

create_database "$TEMPORAL_DB"
create_database "$TEMPORAL_VISIBILITY_DB"
migrate_database "$TEMPORAL_DB" "$SCHEMA_DIR/temporal/versioned"
migrate_database "$TEMPORAL_VISIBILITY_DB" "$SCHEMA_DIR/visibility/versioned"
echo "Temporal schema is up to date"
