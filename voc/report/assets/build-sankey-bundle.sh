#!/bin/sh
# Rebuild plotly-cartesian-sankey.min.js: plotly.js's cartesian partial bundle plus the sankey
# trace (the customers section's journey flow), from the npm package, with esbuild.
#   sh voc/report/assets/build-sankey-bundle.sh 4.1.1
set -eu
version="${1:?plotly.js version, the one plotly.py embeds (python -c 'import plotly.offline as o; print(o.get_plotlyjs_version())')}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund "plotly.js@$version" esbuild@0.25 buffer stream-browserify >/dev/null
traces="bar box heatmap histogram histogram2d histogram2dcontour contour scatterternary violin image pie sankey calendars"
{
  echo "'use strict';"
  echo "var Plotly = require('plotly.js/lib/core');"
  echo "Plotly.register(["
  for t in $traces; do echo "  require('plotly.js/lib/$t'),"; done
  echo "]);"
  echo "module.exports = Plotly;"
} > entry.js
# maplibre's stylesheet, which core pulls in, lands in a separate .css: maps are not drawn, it is dropped
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --define:global=window \
  --define:define.amd=false --target=es2016 --alias:stream=stream-browserify --outfile=bundle.js --log-level=warning
{
  printf '/**\n* plotly.js (cartesian + sankey - minified) v%s\n' "$version"
  printf '* Copyright 2012-2026, Plotly, Inc. All rights reserved. Licensed under the MIT license\n'
  printf '* Built by voc/report/assets/build-sankey-bundle.sh from the npm package plotly.js@%s\n*/\n' "$version"
  cat bundle.js
} > "$here/plotly-cartesian-sankey.min.js"
echo "wrote $here/plotly-cartesian-sankey.min.js"
