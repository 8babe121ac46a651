#!/usr/bin/env bash
# Copy the console's JavaScript libraries out of their npm packages into agentserver/static/agentserver/vendor/
# (they are committed: the server needs no npm and no CDN). Re-run after changing a version.
set -euo pipefail
cd "$(dirname "$0")/.."
CHARTJS=4.5.1
MERMAID=11.12.2
DEST=agentserver/static/agentserver/vendor
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "chart.js@$CHARTJS" "mermaid@$MERMAID" >/dev/null)
mkdir -p "$DEST" "$WORK/chart" "$WORK/mermaid"
tar xzf "$WORK/chart.js-$CHARTJS.tgz" -C "$WORK/chart"
tar xzf "$WORK/mermaid-$MERMAID.tgz" -C "$WORK/mermaid"
cp "$WORK/chart/package/dist/chart.umd.min.js" "$DEST/chart.umd.min.js"
cp "$WORK/chart/package/LICENSE.md" "$DEST/chart.js.LICENSE.md"
cp "$WORK/mermaid/package/dist/mermaid.min.js" "$DEST/mermaid.min.js"
cp "$WORK/mermaid/package/LICENSE" "$DEST/mermaid.LICENSE"
printf 'chart.js %s (npm)\nmermaid %s (npm)\nCopied by scripts/vendor_static.sh\n' "$CHARTJS" "$MERMAID" > "$DEST/VERSIONS"
echo "vendored into $DEST"
