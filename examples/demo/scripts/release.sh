#!/bin/sh
echo "released $SLIPWAY_SERVICES in $SLIPWAY_STAGE"
