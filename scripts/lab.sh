#!/usr/bin/env bash
# `npm run lab -- up|preview|destroy|outputs STACK [--netns]`: the Pulumi CLI steps a user
# runs by hand, in order, with local state so no Pulumi account is needed.
set -eu
cd "$(dirname "$0")/.."

usage() {
  echo "usage: npm run lab -- up|preview|destroy|outputs STACK [--netns]" >&2
  echo "  STACK is ipip, crosssubnet, bgp, vxlan or vxlancrosssubnet (or any stack with a Pulumi.STACK.yaml)" >&2
  echo "  --netns  run on network namespaces instead of Docker + kind + containerlab;" >&2
  echo "           recorded in Pulumi.STACK.yaml, so a later plain 'pulumi up -s STACK' keeps it" >&2
  exit 2
}

[ "$#" -ge 2 ] || usage
action=$1
stack=$2
netns=${3:-}
case "$action" in up | preview | destroy | outputs) ;; *) usage ;; esac
case "$stack" in *[!A-Za-z0-9_.-]* | "") echo "lab: stack name \"$stack\" may hold only letters, digits and _.-" >&2; exit 2 ;; esac
case "$netns" in "" | --netns) ;; *) usage ;; esac

if ! command -v pulumi >/dev/null 2>&1; then
  echo "lab: the Pulumi CLI is not installed (https://www.pulumi.com/docs/install/)." >&2
  echo "     Without it, run the same program on network namespaces through the project's harness:" >&2
  echo "     npm run e2e -- --stack $stack --keep --state $stack.state.json   (as root; --destroy with the same --state takes it down)" >&2
  exit 127
fi
# Local state keeps its secrets under a passphrase; an empty one is fine for a lab.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
export PULUMI_SKIP_UPDATE_CHECK=true

case "$action" in
  up)
    pulumi stack select --create "$stack"
    [ -z "$netns" ] || pulumi config set --stack "$stack" backend netns
    pulumi up --stack "$stack" --yes
    npm run --silent verify -- --stack "$stack"
    ;;
  preview)
    pulumi stack select --create "$stack"
    [ -z "$netns" ] || pulumi config set --stack "$stack" backend netns
    pulumi preview --stack "$stack"
    ;;
  destroy)
    pulumi destroy --stack "$stack" --yes
    ;;
  outputs)
    pulumi stack output --stack "$stack" --json --show-secrets
    ;;
esac
