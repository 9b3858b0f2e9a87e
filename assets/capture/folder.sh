# shellcheck shell=bash
# The capture folder's ownership (sourced by both backends' capture scripts and by
# remove.sh, never run). A folder the lab makes for pcaps holds a marker file,
# .calico-ipip-lab, naming the stack that owns it and every folder the lab made for it,
# outermost first and itself last. Destroy removes a folder only when its marker says the
# lab made it and nothing but the marker is left in it, then the folders above it that
# the lab made, as far as they are empty: a folder the user had, and the user's files in
# the lab's folder, stay.
#
# The missing folders are built under a temporary name beside the outermost of them,
# marker included, and renamed into place in one step, so none of them exists without
# the marker: a run killed midway leaves at most the temporary, which the next run
# removes. Lab processes lock the folder above while they make or remove one, so
# captures and deletes running at once do not race. The functions say why on stderr and
# return 1 when they fail; they never exit (the caller decides), and since callers use
# them in `||` lists, where `set -e` is off, every step is checked by hand.

CAPTURE_MARKER=.calico-ipip-lab

_capture_folder_fail() {
  echo "capture folder: $*" >&2
  return 1
}

# An absolute, normalised path of the characters lab/validate.ts allows: the marker is
# read line by line, so nothing else may appear in it.
_capture_folder_path_ok() {
  [[ $1 == /?* && $1 != */ && $1 != *//* && $1 != *[!A-Za-z0-9_./@:+-]* && $1/ != */./* && $1/ != */../* ]]
}

# capture_folder_owner DIR: print the owner named by DIR's marker, when DIR has one written
# for DIR itself (its last "created" line), not one copied along from somewhere else.
capture_folder_owner() {
  local dir=$1 line owner="" marks=""
  [ -f "$dir/$CAPTURE_MARKER" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      "owner "*) owner=${line#owner } ;;
      "created "*) marks=${line#created } ;;
    esac
  done <"$dir/$CAPTURE_MARKER"
  [ -n "$owner" ] && [ "$marks" = "$dir" ] || return 1
  printf '%s\n' "$owner"
}

# _capture_folder_locked FOLDER COMMAND...: COMMAND while holding a lock on FOLDER.
_capture_folder_locked() {
  local folder=$1 fd rc
  shift
  { exec {fd}<"$folder"; } 2>/dev/null || { _capture_folder_fail "cannot open $folder to lock it"; return 1; }
  if ! flock -w 10 "$fd"; then
    exec {fd}<&-
    _capture_folder_fail "could not lock $folder within 10 s"
    return 1
  fi
  "$@"
  rc=$?
  exec {fd}<&-
  return "$rc"
}

# Remove TMP, the temporary of a run killed before its rename. It holds only folders and
# a marker, and its name is the lab's; anything else in it is reported, not deleted.
_capture_folder_clear() {
  local tmp=$1
  [ -e "$tmp" ] || [ -L "$tmp" ] || return 0
  find "$tmp" -depth \( -type d -o -name "$CAPTURE_MARKER" \) -delete 2>/dev/null
  [ ! -e "$tmp" ] && [ ! -L "$tmp" ] || _capture_folder_fail "$tmp is left from an interrupted run and holds what the lab did not write: remove it by hand"
}

# Under the lock on TOP's parent: TOP and the folders below it down to DIR, built under a
# temporary name with DIR's marker in place, then renamed to TOP. Nothing is done when
# TOP exists by now (another capture made it).
_capture_folder_build() {
  local top=$1 dir=$2 owner=$3 tmp rel d part parts=()
  [ ! -e "$top" ] || return 0
  tmp="$(dirname -- "$top")/.$(basename -- "$top").calico-ipip-lab-new"
  rel=${dir#"$top"}
  _capture_folder_clear "$tmp" || return 1
  mkdir -p -- "$tmp$rel" || { _capture_folder_fail "cannot make $dir"; return 1; }
  IFS=/ read -r -a parts <<<"${rel#/}"
  if ! {
    echo "# Made by calico-ipip-lab for the pcaps of stack $owner. Destroy removes this folder once it"
    echo "# holds nothing but this file, then the folders listed before it, as far as they are empty."
    echo "owner $owner"
    d=$top
    echo "created $d"
    for part in "${parts[@]}"; do
      d=$d/$part
      echo "created $d"
    done
  } >"$tmp$rel/$CAPTURE_MARKER"; then
    _capture_folder_clear "$tmp"
    _capture_folder_fail "cannot write the marker of $dir"
    return 1
  fi
  if ! mv -T -- "$tmp" "$top"; then
    _capture_folder_clear "$tmp"
    _capture_folder_fail "cannot move $tmp to $top"
    return 1
  fi
}

# capture_folder_make DIR OWNER: afterwards DIR is a folder the pcaps can go into. One that
# exists is used as it is, unless its marker names another owner; a missing one is made,
# with every missing folder above it, and marked as OWNER's. OWNER (the stack) is needed
# only to make one. Re-runnable.
capture_folder_make() {
  local dir=$1 owner=$2 top parent found tries=0
  _capture_folder_path_ok "$dir" || { _capture_folder_fail "'$dir' is not an absolute folder path of letters, digits and _./@:+-"; return 1; }
  while [ ! -d "$dir" ]; do
    [ ! -e "$dir" ] && [ ! -L "$dir" ] || { _capture_folder_fail "$dir exists and is not a folder"; return 1; }
    [[ $owner =~ ^[A-Za-z0-9_.-]{1,100}$ ]] ||
      { _capture_folder_fail "CAPTURE_OWNER='$owner' must name the stack (1-100 of letters, digits and _.-) to make $dir"; return 1; }
    tries=$((tries + 1))
    [ "$tries" -le 3 ] || { _capture_folder_fail "$dir keeps disappearing while it is made"; return 1; }
    top=$dir
    while parent=$(dirname -- "$top") && [ ! -e "$parent" ] && [ ! -L "$parent" ]; do top=$parent; done
    [ -d "$parent" ] || { _capture_folder_fail "$parent is not a folder"; return 1; }
    _capture_folder_locked "$parent" _capture_folder_build "$top" "$dir" "$owner" || return 1
  done
  found=$(capture_folder_owner "$dir") || return 0
  [ -z "$owner" ] || [ "$found" = "$owner" ] ||
    _capture_folder_fail "$dir was made for the pcaps of stack $found, not $owner: give this stack another capture.dir"
}

# Under the lock on DIR's parent: DIR goes if it is still the lab's and holds only its
# marker, then the folders above it that the marker lists, innermost first, while empty.
_capture_folder_unmake() {
  local dir=$1 line made=() i
  capture_folder_owner "$dir" >/dev/null || return 0
  [ -z "$(find "$dir" -mindepth 1 -maxdepth 1 ! -name "$CAPTURE_MARKER" -print -quit)" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in "created "*) made+=("${line#created }") ;; esac
  done <"$dir/$CAPTURE_MARKER"
  rm -f -- "$dir/$CAPTURE_MARKER" && rmdir -- "$dir" || { _capture_folder_fail "cannot remove $dir"; return 1; }
  # Only folders above DIR count: the marker is text anyone could edit.
  for ((i = ${#made[@]} - 2; i >= 0; i--)); do
    [[ $dir == "${made[$i]}"/* ]] && rmdir -- "${made[$i]}" 2>/dev/null || break
  done
}

# capture_folder_release DIR: remove DIR when its marker says the lab made it and nothing
# else is in it, then the folders above it the lab made, while empty. Anything else
# keeps the folder without a word: no marker (the user's folder), other files inside,
# already gone. Re-runnable.
capture_folder_release() {
  local dir=$1
  _capture_folder_path_ok "$dir" || { _capture_folder_fail "'$dir' is not an absolute folder path of letters, digits and _./@:+-"; return 1; }
  capture_folder_owner "$dir" >/dev/null || return 0
  _capture_folder_locked "$(dirname -- "$dir")" _capture_folder_unmake "$dir"
}
