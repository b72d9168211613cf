#!/bin/sh
echo "smoke test of $SLIPWAY_SERVICES in $SLIPWAY_STAGE: ok"
