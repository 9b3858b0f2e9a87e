#!/usr/bin/env bash
# The kind cluster. `up` creates it from the config on stdin (re-runnable: an existing
# cluster is not created again), records KIND_BUILD_ID in LAB_WORK_DIR/KIND_BUILD_FILE, lets
# pods run on the control plane (the workload puts one pod on every node; a taint already
# removed is fine), then prints its kubeconfig (the Command's stdout, kept secret). `down`
# deletes it (kind treats a missing cluster as deleted), then its record and the work
# folder once nothing else is in it.
# Env: KIND_CLUSTER_NAME, KIND_NODE_IMAGE, CONTROL_PLANE_NODE, CONTROL_PLANE_TAINT (key:effect),
#      LAB_WORK_DIR, KIND_BUILD_ID, KIND_BUILD_FILE (for `down`, only the name: the others are
#      absent in stacks created before the cluster was recorded, and then there is no record
#      to remove); stdin for `up`: the kind config (components/kind/kindConfig.ts)
set -eu
. "$(dirname "$0")/lib.sh"
need KIND_CLUSTER_NAME

case ${1-} in
  up)
    need KIND_NODE_IMAGE CONTROL_PLANE_NODE CONTROL_PLANE_TAINT LAB_WORK_DIR KIND_BUILD_ID KIND_BUILD_FILE
    clusters=$(output kind get clusters)
    if grep -qxF -- "$KIND_CLUSTER_NAME" <<<"$clusters"; then
      say "cluster $KIND_CLUSTER_NAME exists; not creating it again"
    else
      # Without a CNI `--wait` only times out, so it is not used. kind hands proxy variables
      # to the nodes; like the seed, create the cluster without them.
      run env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy \
        kind create cluster --name "$KIND_CLUSTER_NAME" --image "$KIND_NODE_IMAGE" --config -
    fi
    record_build "$KIND_BUILD_ID" "$KIND_BUILD_FILE"
    LAB_KUBECONFIG=$(output kind get kubeconfig --name "$KIND_CLUSTER_NAME")
    use_kubeconfig
    if try kubectl taint nodes "$CONTROL_PLANE_NODE" "$CONTROL_PLANE_TAINT-"; then
      say "$(seen)"
    elif [[ $(seen) == *"not found"* ]]; then
      say "$CONTROL_PLANE_NODE has no taint $CONTROL_PLANE_TAINT"
    else
      failed "untainting the control plane"
    fi
    printf '%s\n' "$LAB_KUBECONFIG"
    ;;
  down)
    run kind delete cluster --name "$KIND_CLUSTER_NAME"
    [ -n "${LAB_WORK_DIR:-}" ] && [ -n "${KIND_BUILD_FILE:-}" ] || exit 0
    check_work_dir
    rm -f "$LAB_WORK_DIR/$KIND_BUILD_FILE"
    [ ! -d "$LAB_WORK_DIR" ] || rmdir --ignore-fail-on-non-empty "$LAB_WORK_DIR"
    ;;
  *) die "usage: kind.sh up | down" ;;
esac
