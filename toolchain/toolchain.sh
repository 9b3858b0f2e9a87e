#!/usr/bin/env bash
# `npm run toolchain`: makes the pinned Pulumi toolchain available and prints, as the last
# line of stdout, the folder that holds `pulumi` (with pulumi-language-nodejs beside it).
#
# - A `pulumi` on PATH of at least the pinned version is used as it is.
# - Otherwise the CLI and the nodejs language host are built from the two pinned modules
#   beside this script (versions and checksums in their go.mod/go.sum) into a per-user
#   cache outside the clone, keyed by those versions; a later call reuses it.
# - The project's command provider (provider/) is compiled into .cache/provider, for
#   hosts where the official plugin is not in Pulumi's plugin cache (scripts/pulumi-env.sh).
# Progress goes to stderr. Without Go and without `pulumi` it fails, naming the official
# install page.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")

say() { printf 'toolchain: %s\n' "$*" >&2; }

# The pinned versions, read from the modules that build them.
module_version() { awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$here/$1/go.mod"; }
cli_version=$(module_version cli github.com/pulumi/pulumi/pkg/v3)
host_version=$(module_version nodejs-host github.com/pulumi/pulumi/sdk/v3)
[ -n "$cli_version" ] && [ -n "$host_version" ] || { say "cannot read the pinned versions from $here/*/go.mod"; exit 1; }

compile_provider() {
  say "compiling the command provider (provider/ → .cache/provider)"
  (cd "$repo" && node node_modules/typescript/bin/tsc -p tsconfig.provider.json) >&2
}

# version_at_least A B: whether semver A (vX.Y.Z) >= B.
version_at_least() {
  [ "$(printf '%s\n%s\n' "${1#v}" "${2#v}" | sort -V | head -n1)" = "${2#v}" ]
}

if command -v pulumi >/dev/null 2>&1; then
  found=$(pulumi version 2>/dev/null || true)
  if [ -n "$found" ] && version_at_least "$found" "$cli_version"; then
    compile_provider
    say "using pulumi $found on PATH"
    dirname "$(command -v pulumi)"
    exit 0
  fi
  say "pulumi ${found:-of unknown version} on PATH is older than $cli_version: building the pinned one"
fi

cache_root=${CALICO_IPIP_LAB_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/calico-ipip-lab/toolchain}
dest="$cache_root/pulumi-$cli_version+nodejs-$host_version"
stamp="$dest/.built-from"
want_stamp=$(cat "$here/cli/go.sum" "$here/cli/go.mod" "$here/nodejs-host/go.sum" "$here/nodejs-host/go.mod" | sha256sum | cut -d' ' -f1)
if [ -x "$dest/pulumi" ] && [ -x "$dest/pulumi-language-nodejs" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want_stamp" ]; then
  compile_provider
  say "reusing pulumi $cli_version and pulumi-language-nodejs $host_version from $dest"
  echo "$dest"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  say "neither the Pulumi CLI ($cli_version or later) nor Go (to build it) is installed."
  say "Install the CLI from https://www.pulumi.com/docs/install/ (or Go 1.26 from https://go.dev/dl/) and run this again."
  exit 1
fi

export GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
mkdir -p "$cache_root"
work=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# build MODULE PACKAGE OUTPUT VERSION: fetch, then compile with a running count.
build() {
  module=$1 package=$2 output=$3 version=$4
  cd "$here/$module"
  total_modules=$(grep -c ' h1:' go.sum || true)
  say "$output $version: fetching modules (go.sum lists $total_modules checksums)"
  fetched=0
  go mod download -json 2>&1 | while IFS= read -r line; do
    case "$line" in
      *'"Path":'*)
        fetched=$((fetched + 1))
        [ $((fetched % 25)) -ne 0 ] || say "  fetched $fetched modules"
        ;;
    esac
  done
  total=$(go list -deps -f '{{if not .Standard}}x{{end}}' "$package" | grep -c x || true)
  say "$output $version: compiling up to $total packages (cached ones are skipped)"
  started=$(date +%s)
  done_count=0
  go build -v -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$work/$output" "$package" 2>&1 | while IFS= read -r line; do
    case "$line" in
      *' '* | *:*) printf '%s\n' "$line" >&2 ;; # a compiler message, not a package path
      *)
        done_count=$((done_count + 1))
        [ $((done_count % 50)) -ne 0 ] || say "  compiled $done_count/$total packages ($(( $(date +%s) - started )) s) … $line"
        ;;
    esac
  done
  [ -x "$work/$output" ] || { say "building $output failed (see the messages above)"; exit 1; }
  say "$output $version: built in $(( $(date +%s) - started )) s"
}

build nodejs-host github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs pulumi-language-nodejs "$host_version"
build cli github.com/pulumi/pulumi/pkg/v3/cmd/pulumi pulumi "$cli_version"
echo "$want_stamp" >"$work/.built-from"
# Into place in one rename, so a concurrent or interrupted build never leaves half a toolchain.
rm -rf "$dest.old"
[ ! -e "$dest" ] || mv "$dest" "$dest.old"
mv "$work" "$dest"
rm -rf "$dest.old"
trap - EXIT
compile_provider
say "pulumi $cli_version and pulumi-language-nodejs $host_version are in $dest ($(du -sh "$dest" | cut -f1))"
echo "$dest"
