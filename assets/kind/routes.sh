#!/usr/bin/env bash
# Waits until every node's pool routes are the model's (lab/dataplane.ts), then prints
# each node's routing table as JSON: {"<node>": ["<route>", ...], ...}. After a mode change
# calico reprograms the routes within seconds; captures start only after this. If they
# never match, it fails listing, per node, the routes the model has and the node lacks,
# and those the node has and the model lacks.
# Which routes: those BIRD (`proto bird`) or Felix (`proto 80`) programmed, reduced to
# what Calico decides (destination, gateway, device, protocol, scope, onlink), as
# normalizeRouteLine does. Calico's IPAM picks each node's block, so blocks, and the
# addresses inside them (VXLAN's VTEPs), are named after the node holding them in the
# cluster's block affinities: block:<node> and tunnel:<node>, as the model names its own.
# Env: LAB_KUBECONFIG; KIND_NODES (space-separated); ROUTE_EXPECTATIONS (lines
#      "<node> <route>"); BLOCK_AFFINITY_RESOURCE; WAIT_SECONDS, LAB_POLL_SECONDS
set -eu
. "$(dirname "$0")/lib.sh"
need LAB_KUBECONFIG KIND_NODES ROUTE_EXPECTATIONS BLOCK_AFFINITY_RESOURCE WAIT_SECONDS LAB_POLL_SECONDS
use_kubeconfig
read -r -a nodes <<<"$KIND_NODES"

# ip_int ADDRESS: a dotted IPv4 address as a number (0 for anything else).
ip_int() {
  local a b c d
  [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
    printf 0
    return
  }
  IFS=. read -r a b c d <<<"$1"
  printf '%s' $(((10#$a << 24) | (10#$b << 16) | (10#$c << 8) | 10#$d))
}

# in_cidr ADDRESS CIDR: succeeds when ADDRESS lies in CIDR.
in_cidr() {
  local len=${2#*/} mask
  [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ && $len =~ ^[0-9]+$ ]] || return 1
  mask=$(((0xffffffff << (32 - len)) & 0xffffffff))
  [ $(($(ip_int "$1") & mask)) -eq $(($(ip_int "${2%/*}") & mask)) ]
}

# Block affinities: block_owner[CIDR]=node, confirmed ones only (pending ones route nothing).
declare -A block_owner
read_affinities() {
  local table node cidr state
  block_owner=()
  table=$(kubectl get "$BLOCK_AFFINITY_RESOURCE" -o 'custom-columns=NODE:.spec.node,CIDR:.spec.cidr,STATE:.spec.state' --no-headers) || return 1
  while read -r node cidr state; do
    [ "$state" = confirmed ] && block_owner[$cidr]=$node
  done <<<"$table"
  return 0
}

# block_name CIDR: block:<node> for a node's block, else CIDR as it is.
block_name() {
  if [ -n "${block_owner[$1]+x}" ]; then printf 'block:%s' "${block_owner[$1]}"; else printf '%s' "$1"; fi
}

# address_name ADDRESS: tunnel:<node> for an address inside a node's block, else ADDRESS.
address_name() {
  local cidr
  for cidr in "${!block_owner[@]}"; do
    if in_cidr "$1" "$cidr"; then
      printf 'tunnel:%s' "${block_owner[$cidr]}"
      return
    fi
  done
  printf '%s' "$1"
}

# route_key LINE: the route reduced to what Calico decides, blocks and their addresses named.
route_key() {
  local -a w out=()
  local i n
  read -r -a w <<<"$1"
  n=${#w[@]}
  for ((i = 0; i < n; i++)); do
    if [ "$i" -eq 0 ] || { [ "$i" -eq 1 ] && [ "${out[0]}" = blackhole ]; }; then
      out+=("$(block_name "${w[i]}")")
      continue
    fi
    case ${w[i]} in
      via)
        [ $((i + 1)) -lt "$n" ] || continue
        out+=(via "$(address_name "${w[i + 1]}")")
        i=$((i + 1))
        ;;
      dev | proto | scope)
        [ $((i + 1)) -lt "$n" ] || continue
        out+=("${w[i]}" "${w[i + 1]}")
        i=$((i + 1))
        ;;
      onlink) out+=(onlink) ;;
      metric | src | table | mtu | expires) i=$((i + 1)) ;;
    esac
  done
  printf '%s' "${out[*]}"
}

# joined ITEM...: the items sorted, joined by "; " ("nothing" for none).
joined() {
  local out="" item
  [ $# -gt 0 ] || {
    printf nothing
    return
  }
  while IFS= read -r item; do out+="${out:+; }$item"; done < <(printf '%s\n' "$@" | sort)
  printf '%s' "$out"
}

# as_expected: succeeds when every node's Calico routes are exactly the model's; prints
# the differences (and the block affinities they were read with) otherwise.
as_expected() {
  local node line_node table line key ok=yes owners=""
  local -a missing unexpected
  local -A want have
  read_affinities || {
    printf '`kubectl get %s` failed\n' "$BLOCK_AFFINITY_RESOURCE"
    return 1
  }
  for node in "${nodes[@]}"; do
    want=()
    have=()
    while read -r line_node line; do
      [ "$line_node" = "$node" ] && want[$line]=1
    done <<<"$ROUTE_EXPECTATIONS"
    table=$(docker exec "$node" ip route) || {
      printf '%s: `docker exec %s ip route` failed\n' "$node" "$node"
      ok=no
      continue
    }
    while IFS= read -r line; do
      [[ " $line " =~ \ proto\ (bird|80)\  ]] || continue
      key=$(route_key "$line")
      have[$key]=1
    done <<<"$table"
    missing=()
    unexpected=()
    for key in "${!want[@]}"; do [ -n "${have[$key]+x}" ] || missing+=("$key"); done
    for key in "${!have[@]}"; do [ -n "${want[$key]+x}" ] || unexpected+=("$key"); done
    if [ ${#missing[@]} -gt 0 ] || [ ${#unexpected[@]} -gt 0 ]; then
      ok=no
      printf '%s: the model has, the node lacks: %s\n' "$node" "$(joined "${missing[@]}")"
      printf '%s: the node has, the model lacks: %s\n' "$node" "$(joined "${unexpected[@]}")"
    fi
  done
  for key in "${!block_owner[@]}"; do owners+="${block_owner[$key]}=$key "; done
  # shellcheck disable=SC2086 # one word per affinity
  [ "$ok" = yes ] || printf 'block affinities: %s\n' "$(joined $owners)"
  [ "$ok" = yes ]
}

until_ok "$WAIT_SECONDS" "every node's pool routes as the model has them" as_expected

json=""
for node in "${nodes[@]}"; do
  table=$(output docker exec "$node" ip route)
  json+="${json:+,}$(json_string "$node"):$(json_lines "$table")"
done
printf '{%s}\n' "$json"
