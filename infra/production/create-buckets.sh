#!/usr/bin/env bash
# Create motcua's four buckets on the production S3 server (the archive bucket with object lock,
# COMPLIANCE, default retention MOTCUA_ARCHIVE_RETENTION_DAYS), then prove on that very server
# that a locked version cannot be deleted: the same code and self-check as `motcua up` runs on
# the embedded stack. Run it once, on any motcua machine, after the S3 machine is up:
#
#   infra/production/create-buckets.sh [/etc/motcua/motcua.env [/opt/motcua/.venv]]
#
# It asks for the motcua-admin key pair (/etc/seaweedfs/s3.json on the S3 machine), which no
# motcua.env holds; the keys reach Python through its environment only, never its argv.
# Exit 0: buckets ready and object lock enforced; 3: not (the message says why).
set -euo pipefail

env_file=${1:-/etc/motcua/motcua.env}
venv=${2:-/opt/motcua/.venv}

# The machine's settings (systemd EnvironmentFile syntax is a subset of shell's for the lines
# that the templates hold), then the admin key pair instead of the pipeline's.
set -a
# shellcheck source=/dev/null
. "$env_file"
set +a
read -rp "motcua-admin access key: " MOTCUA_S3_ACCESS_KEY
read -rsp "motcua-admin secret key: " MOTCUA_S3_SECRET_KEY
echo
export MOTCUA_S3_ACCESS_KEY MOTCUA_S3_SECRET_KEY

exec "$venv/bin/python" - <<'PY'
import sys

from motcua.errors import MotcuaError
from motcua.settings import Settings
from motcua.storage.s3 import check_object_lock, ensure_buckets, make_client

try:
    settings = Settings()
    if settings.embedded_s3:
        print("error: MOTCUA_S3_ENDPOINT is not set (this is for a production S3 server; the "
              "embedded stack's `motcua up` does this itself)", file=sys.stderr)
        sys.exit(3)
    # with an external endpoint every role uses MOTCUA_S3_*: here, the admin pair
    admin = make_client(settings, "admin")
    created = ensure_buckets(admin, settings)
    print("buckets created:", ", ".join(created) if created else "none (all existed)")
    check = check_object_lock(admin, settings.archive_bucket)
    check.raise_if_failed()
    print(f"object lock enforced on {settings.archive_bucket}: deleting a locked version was "
          f"refused ({check.delete_refused_with})")
except MotcuaError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(3)
PY
