#!/bin/sh
# A stand-in deploy. Slipway gives each task the release in its environment
# (SLIPWAY_STAGE, SLIPWAY_SERVICES, SLIPWAY_ARTIFACT_<SERVICE>: see docs/executors.md).
# This one records what it would deploy in deployed.txt, beside the pipeline.
set -eu
line="$SLIPWAY_STAGE"
for var in $(env | grep '^SLIPWAY_ARTIFACT_' | cut -d= -f1 | sort); do
  line="$line $(printenv "$var")"
done
echo "deploying to $SLIPWAY_STAGE:${line#"$SLIPWAY_STAGE"}"
echo "$line" >> deployed.txt
