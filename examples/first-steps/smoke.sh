#!/bin/sh
# A stand-in smoke test: it fails for an artifact whose name says it is broken.
set -eu
for artifact in $(env | grep '^SLIPWAY_ARTIFACT_' | cut -d= -f2- | sort); do
  echo "checking $artifact in $SLIPWAY_STAGE"
  case "$artifact" in
    *broken*)
      echo "GET /healthz on $artifact: 500 Internal Server Error" >&2
      exit 1
      ;;
  esac
done
echo "smoke test passed"
