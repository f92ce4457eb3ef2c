#!/bin/sh
# Build the message review handler's Lambda package (deploy/review-handler.yaml's CodeUri): the handler's own
# modules and nothing else. boto3 and botocore come with AWS Lambda's python3.12 runtime; bot/review.py imports
# nothing of Slack or of the rest of the bot (tests/test_deploy.py runs the package built here on its own).
#
#   deploy/build-review-handler.sh [OUT]    a folder (default build/review-handler), and OUT.zip beside it
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/review-handler}
case "$out" in /*) ;; *) out="$(pwd)/$out" ;; esac  # the zip step runs inside the folder
rm -rf "$out" "$out.zip"
for module in bot/__init__.py bot/review.py bot/kick/__init__.py bot/kick/bans.py bot/store/__init__.py \
    bot/store/bans.py; do
  mkdir -p "$out/$(dirname "$module")"
  cp "$root/$module" "$out/$module"
done
(cd "$out" && python3 -m zipfile -c "$out.zip" bot)
echo "$out and $out.zip ($(wc -c < "$out.zip") bytes)"
