#!/usr/bin/env bash
# Generate the S3 machine's secrets, once, as root:
#
#   infra/production/seaweedfs/setup-secrets.sh [/etc/seaweedfs]
#
# - security.toml from the template beside this script, with four random JWT keys;
# - tls/: a private CA (ca.key stays root-only: keep a copy offline, it signs the certificate of
#   any volume server added later) and one certificate for gRPC mTLS, valid 10 years;
# - s3.json: the four S3 identities with random keys (motcua-pipeline's pair goes into every
#   motcua.env, motcua-admin's into create-buckets.sh, motcua-intake's into the desk PCs).
#
# Files that already exist are kept (run it again after deleting one to regenerate it). Keys are
# never printed: read them from s3.json. Group-readable by SEAWEEDFS_GROUP (default seaweedfs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
etc=${1:-/etc/seaweedfs}
group=${SEAWEEDFS_GROUP:-seaweedfs}
umask 077

hex() { openssl rand -hex "$1"; }
access_key() { hex 10 | tr 'a-f' 'A-F'; }   # 20 characters, the shape of an AWS access key id
secret_key() { hex 20; }                    # 40 characters

# write <target> <mode> <group>: stdin into target, atomically, mode and group set before the
# content becomes visible under its name
write() {
  local tmp
  tmp=$(mktemp "$1.XXXXXX")
  cat > "$tmp"
  chgrp "$3" "$tmp"
  chmod "$2" "$tmp"
  mv "$tmp" "$1"
}

install -d -m 0750 -g "$group" "$etc"
install -d -m 0750 -g "$group" "$etc/tls"

if [ ! -e "$etc/security.toml" ]; then
  sed -e "s|@JWT_SIGNING_KEY@|$(hex 32)|" \
      -e "s|@JWT_SIGNING_READ_KEY@|$(hex 32)|" \
      -e "s|@JWT_FILER_SIGNING_KEY@|$(hex 32)|" \
      -e "s|@JWT_FILER_SIGNING_READ_KEY@|$(hex 32)|" \
      -e "s|@ETC@|$etc|g" \
      "$here/security.toml" | write "$etc/security.toml" 0640 "$group"
  echo "wrote $etc/security.toml"
fi

if [ ! -e "$etc/tls/ca.crt" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=motcua SeaweedFS gRPC CA" -keyout "$etc/tls/ca.key" -out "$etc/tls/ca.crt" \
    2>/dev/null
  chmod 0600 "$etc/tls/ca.key"
  chgrp "$group" "$etc/tls/ca.crt"
  chmod 0644 "$etc/tls/ca.crt"
  echo "wrote $etc/tls/ca.crt (CA key: $etc/tls/ca.key, root only)"
fi

if [ ! -e "$etc/tls/seaweedfs.crt" ]; then
  csr=$(mktemp)
  ext=$(mktemp)
  trap 'rm -f "$csr" "$ext"' EXIT
  printf '%s\n' "extendedKeyUsage=serverAuth,clientAuth" \
    "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$ext"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=seaweedfs" \
    -keyout "$etc/tls/seaweedfs.key" -out "$csr" 2>/dev/null
  openssl x509 -req -in "$csr" -CA "$etc/tls/ca.crt" -CAkey "$etc/tls/ca.key" \
    -CAcreateserial -days 3650 -extfile "$ext" -out "$etc/tls/seaweedfs.crt" 2>/dev/null
  chgrp "$group" "$etc/tls/seaweedfs.key" "$etc/tls/seaweedfs.crt"
  chmod 0640 "$etc/tls/seaweedfs.key" "$etc/tls/seaweedfs.crt"
  echo "wrote $etc/tls/seaweedfs.crt"
fi

if [ ! -e "$etc/s3.json" ]; then
  args=()
  for who in ADMIN PIPELINE INTAKE AUDITOR; do
    args+=(-e "s|@${who}_ACCESS_KEY@|$(access_key)|" -e "s|@${who}_SECRET_KEY@|$(secret_key)|")
  done
  sed "${args[@]}" "$here/s3.json" | write "$etc/s3.json" 0640 "$group"
  echo "wrote $etc/s3.json (the identities' keys)"
fi

if grep -q '@[A-Z_]*@' "$etc/security.toml" "$etc/s3.json"; then
  echo "placeholders left in $etc/security.toml or $etc/s3.json" >&2
  exit 1
fi
