#!/bin/sh
# Records what runs where: one line per deployed artifact in ../.deployed/<stage>.
set -eu
dir="$(dirname "$0")/../.deployed"
mkdir -p "$dir"
for s in $(echo "$SLIPWAY_SERVICES" | tr ',' ' '); do
  var="SLIPWAY_ARTIFACT_$(echo "$s" | tr 'a-z-' 'A-Z_')"
  eval "ref=\${$var}"
  echo "$s=$ref" >> "$dir/$SLIPWAY_STAGE"
  echo "deployed $s $ref to $SLIPWAY_STAGE"
done
