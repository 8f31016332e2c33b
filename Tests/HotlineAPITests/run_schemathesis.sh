#!/usr/bin/env bash
# schemathesis (PyPI, ops/requirements-test.txt) against a running hotline-api, from its own
# OpenAPI document: a bounded number of examples per operation, for each caller given, every
# `{number}` being ORDER (a real order, so that bodies reach the rules rather than a 404). No
# server error (5xx) allowed; answers must have the documented status codes, content types and
# schemas (so the document in the repository stays true).
# Fails loudly when schemathesis is missing.
#
#   run_schemathesis.sh BASE_URL ORDER "Bearer hl_..." ["Bearer hl_..."]...
set -euo pipefail
base=$1
order=$2
shift 2
command -v schemathesis >/dev/null || { echo "schemathesis is not installed (ops/test installs ops/requirements-test.txt)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cat >schemathesis.toml <<TOML
[parameters]
"path.number" = "$order"
TOML
for auth in "$@"; do
    schemathesis run "$base/openapi.json" --url "$base" \
        -H "Authorization: $auth" \
        --checks not_a_server_error,content_type_conformance,status_code_conformance,response_schema_conformance \
        --max-examples 15 --seed 12345 --workers 1 \
        --phases examples,coverage,fuzzing \
        --generation-database none --request-timeout 10 --no-color
done
