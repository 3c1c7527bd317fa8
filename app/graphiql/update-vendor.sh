#!/usr/bin/env bash
# Refresh the vendored GraphiQL page assets in app/graphiql/vendor/ from the npm registry.
#
#   bash app/graphiql/update-vendor.sh [graphiql-version] [react-version]
#
# Why vendored: the GraphiQL page must work offline and under a Content-Security-Policy of
# 'self' (no CDN). GraphiQL 4.1.x is the last line that publishes a UMD build (one <script>, no
# bundler); 5.x is ESM-only around Monaco and needs a build step. React 18.3.x is the last
# React with UMD builds. Writes the built files, the licences (GraphiQL's, React's, and those
# of every package in GraphiQL's dependency tree, which its UMD bundle includes) and
# SOURCES.json (package, version, npm integrity, sha256 of each file), which
# tests/e2e/test_graphiql_browser.py checks the files against.
set -euo pipefail
GRAPHIQL=${1:-4.1.2}
REACT=${2:-18.3.1}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

pack() {  # pack NAME VERSION -> extracts to ./NAME
    local file
    file=$(npm pack --silent "$1@$2")
    mkdir -p "$1" && tar xzf "$file" -C "$1" --strip-components=1
}
pack graphiql "$GRAPHIQL"
pack react "$REACT"
pack react-dom "$REACT"

rm -rf "$out" && mkdir -p "$out"
cp graphiql/graphiql.min.js graphiql/graphiql.min.css "$out/"
cp react/umd/react.production.min.js react-dom/umd/react-dom.production.min.js "$out/"
cp graphiql/LICENSE "$out/LICENSE.graphiql"
cp react/LICENSE "$out/LICENSE.react"
cp react-dom/LICENSE "$out/LICENSE.react-dom"

# The licences of what GraphiQL's UMD bundle includes: its dependency tree, resolved now.
mkdir tree && (cd tree && npm init -y >/dev/null &&
    npm install --silent --no-audit --no-fund --ignore-scripts \
        "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" graphql@16 graphql-ws@6 >/dev/null)

node - "$out" "$GRAPHIQL" "$REACT" <<'JS'
const fs = require('fs'), path = require('path'), crypto = require('crypto'), cp = require('child_process');
const [out, graphiql, react] = process.argv.slice(2);
const tree = path.resolve('tree/node_modules');
const found = new Map();
(function walk(dir) {
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (name.startsWith('@')) { walk(full); continue; }
    const manifest = path.join(full, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    found.set(`${pkg.name}@${pkg.version}`, { dir: full, license: pkg.license || 'UNKNOWN' });
    const nested = path.join(full, 'node_modules');
    if (fs.existsSync(nested)) walk(nested);
  }
})(tree);
let text = `Licences of the packages GraphiQL ${graphiql}'s UMD bundle (graphiql.min.js,\n` +
  `graphiql.min.css) is built from: graphiql's dependency tree as npm resolved it when these\n` +
  `files were vendored (app/graphiql/update-vendor.sh). React and ReactDOM ${react} are\n` +
  `served as separate files (LICENSE.react, LICENSE.react-dom).\n\n`;
for (const [id, { dir, license }] of [...found].sort()) {
  const file = fs.readdirSync(dir).find((n) => /^(licen[cs]e|copying)(\.|$)/i.test(n));
  text += `${'='.repeat(78)}\n${id} (${license})\n${'='.repeat(78)}\n`;
  text += file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() + '\n\n' : '(no licence file in the package)\n\n';
}
fs.writeFileSync(path.join(out, 'THIRD_PARTY_LICENSES.txt'), text);
const integrity = (spec) => cp.execSync(`npm view ${spec} dist.integrity`).toString().trim();
const sources = {
  'graphiql.min.js': ['graphiql', graphiql, 'graphiql.min.js'],
  'graphiql.min.css': ['graphiql', graphiql, 'graphiql.min.css'],
  'react.production.min.js': ['react', react, 'umd/react.production.min.js'],
  'react-dom.production.min.js': ['react-dom', react, 'umd/react-dom.production.min.js'],
};
const manifest = {};
for (const [file, [name, version, inPackage]] of Object.entries(sources)) {
  const sha256 = crypto.createHash('sha256').update(fs.readFileSync(path.join(out, file))).digest('hex');
  manifest[file] = { package: name, version, path: inPackage, license: 'MIT', npm_integrity: integrity(`${name}@${version}`), sha256 };
}
fs.writeFileSync(path.join(out, 'SOURCES.json'), JSON.stringify(manifest, null, 2) + '\n');
JS
echo "vendored graphiql@$GRAPHIQL, react@$REACT and react-dom@$REACT into $out"
