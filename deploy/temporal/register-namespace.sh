#!/bin/sh
# temporal-namespace job: once the Temporal cluster is serving, create the namespace if
# it is missing and register procureflow's custom search attributes in it. Idempotent:
# an existing namespace or attribute is left as it is; an attribute that exists with a
# different type is reported and fails the job, since the workflows would fail too.
#
# POSIX sh only: recent admin-tools images are Alpine without bash.
#
# Environment:
#   TEMPORAL_ADDRESS     frontend host:port                        (required)
#   NAMESPACE            namespace to prepare                      (default default)
#   NAMESPACE_RETENTION  retention for a newly created namespace   (default 720h)
#   SEARCH_ATTRIBUTES    space-separated NAME=Type pairs           (required)
#   SETTLE_SECONDS       pause after registering new attributes    (default 15)
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set}"
: "${SEARCH_ATTRIBUTES:?SEARCH_ATTRIBUTES must be set}"
NAMESPACE="${NAMESPACE:-default}"
NAMESPACE_RETENTION="${NAMESPACE_RETENTION:-720h}"
SETTLE_SECONDS="${SETTLE_SECONDS:-15}"

t() {
  temporal --address "$TEMPORAL_ADDRESS" "$@"
}

echo "waiting for Temporal at $TEMPORAL_ADDRESS to report SERVING"
tries=0
until t operator cluster health > /dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 90 ]; then
    t operator cluster health || true
    echo "Temporal at $TEMPORAL_ADDRESS is not healthy" >&2
    exit 1
  fi
  sleep 2
done

if t operator namespace describe --namespace "$NAMESPACE" > /dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
elif output=$(t operator namespace create --namespace "$NAMESPACE" \
    --retention "$NAMESPACE_RETENTION" 2>&1); then
  echo "created namespace $NAMESPACE (retention $NAMESPACE_RETENTION)"
else
  case "$output" in
    *"already exists"* | *"already registered"*) echo "namespace $NAMESPACE exists" ;;
    *) printf '%s\n' "$output" >&2; exit 1 ;;
  esac
fi

# The namespace's search attributes as `temporal` lists them (one row per attribute,
# name and type on the row). A just-created namespace takes a few seconds to reach
# every frontend's cache, so failures here and below are retried.
list_attributes() {
  tries=0
  until listing=$(t operator search-attribute list --namespace "$NAMESPACE" 2>&1); do
    tries=$((tries + 1))
    if [ "$tries" -ge 10 ]; then
      printf '%s\n' "$listing" >&2
      echo "could not list search attributes of namespace $NAMESPACE" >&2
      exit 1
    fi
    sleep 3
  done
}

# The row for attribute $1 in $listing, or nothing.
row_of() {
  printf '%s\n' "$listing" | grep -E "(^|[^A-Za-z0-9_])$1([^A-Za-z0-9_]|\$)" || true
}

create_attribute() {
  name=$1
  type=$2
  tries=0
  while :; do
    if output=$(t operator search-attribute create --namespace "$NAMESPACE" \
        --name "$name" --type "$type" 2>&1); then
      echo "registered search attribute $name ($type)"
      return 0
    fi
    case "$output" in
      *"different type"*)
        printf '%s\n' "$output" >&2
        exit 1 ;;
      *"already exists"* | *"already registered"*)
        echo "search attribute $name exists"
        return 0 ;;
    esac
    tries=$((tries + 1))
    if [ "$tries" -ge 10 ]; then
      printf '%s\n' "$output" >&2
      echo "could not register search attribute $name ($type)" >&2
      exit 1
    fi
    sleep 3
  done
}

created=0
list_attributes
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  if [ -z "$(row_of "$name")" ]; then
    create_attribute "$name" "${pair#*=}"
    created=1
  else
    echo "search attribute $name exists"
  fi
done

# Check what the namespace now holds: every attribute present, with the expected type.
[ "$created" -eq 0 ] || list_attributes
status=0
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  row=$(row_of "$name")
  if [ -z "$row" ]; then
    echo "search attribute $name is missing from namespace $NAMESPACE" >&2
    status=1
  elif ! printf '%s\n' "$row" | grep -qiE "(^|[^A-Za-z0-9])${type}([^A-Za-z0-9_]|\$)"; then
    echo "search attribute $name is registered with another type than $type: $row" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] || exit 1

if [ "$created" -eq 1 ]; then
  # New attributes reach the frontends' namespace caches within seconds; give them
  # that time before the API and workers start using the attributes.
  sleep "$SETTLE_SECONDS"
fi
echo "namespace $NAMESPACE is ready"
