#!/usr/bin/env bash
# The Spark tests run PySpark 4, which needs a Java 17 runtime (Debian's OpenJDK).
set -euo pipefail
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "the Spark tests need Java 17: run 'apt-get install -y openjdk-17-jre-headless' as root" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
