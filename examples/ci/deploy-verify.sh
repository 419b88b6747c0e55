#!/bin/sh
# A deploy step that refuses anything but a release shipgate signed as PASSED for this artifact.
# Usage: deploy-verify.sh ATTESTATION PUBLIC_KEY ARTIFACT -- DEPLOY COMMAND…
set -eu
attestation=$1 key=$2 artifact=$3
shift 3
[ "${1:-}" = "--" ] && shift
npx shipgate verify "$attestation" --key "$key" --subject "$artifact" || {
  echo "deploy refused: $artifact is not a verified release" >&2
  exit 1
}
exec "$@"
