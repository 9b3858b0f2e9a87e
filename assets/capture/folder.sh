# shellcheck shell=bash
# The pcaps' folder, as model/captureDir.ts decided it (sourced by both backends' capture
# scripts and by remove.sh, never run). The program hands over, by environment:
#   CAPTURE_FOLDERS      the folders the lab makes, outermost first and the pcaps' folder
#                        last, one a line; empty: the pcaps' folder is the user's
#   CAPTURE_MARKER       the marker file in the last of them, CAPTURE_MARKER_TEXT its text
# The folders are built under a temporary name beside the outermost, marker included, and
# renamed into place in one step, so none exists without the marker; a run killed midway
# leaves at most the temporary, which the next run removes. Makes and removes lock the
# folder above the outermost, so runs at once do not race. The functions say why on
# stderr and return 1 when they fail; they never exit.

_folder_fail() { echo "capture folder: $*" >&2; return 1; }

# FOLDERS from CAPTURE_FOLDERS, for the pcaps' folder DIR: absolute, normalised paths, DIR
# last with the marker in it (nothing else is ever made or removed).
_folders() {
  local f
  FOLDERS=()
  while IFS= read -r f; do
    [[ $f == /?* && $f != */ && $f != *//* && $f/ != */./* && $f/ != */../* ]] || { _folder_fail "'$f' is not an absolute, normalised folder path"; return 1; }
    FOLDERS+=("$f")
  done < <(printf '%s' "${CAPTURE_FOLDERS-}" | grep -v '^$')
  [ "${#FOLDERS[@]}" -eq 0 ] || { [ "${FOLDERS[-1]}" = "$1" ] && [ "$(dirname -- "${CAPTURE_MARKER-/}")" = "$1" ]; } ||
    _folder_fail "CAPTURE_FOLDERS must end with $1, the pcaps' folder, and CAPTURE_MARKER lie in it"
}

# Whether the marker holds exactly the text the program gave: the folders are this lab's.
_folder_marked() { [ -f "$CAPTURE_MARKER" ] && [ "$(<"$CAPTURE_MARKER")" = "$(printf '%s' "$CAPTURE_MARKER_TEXT")" ]; }

# _folder_locked COMMAND...: COMMAND while holding a lock on the folder above the
# outermost, in a subshell (its exit closes the lock).
_folder_locked() (
  above=$(dirname -- "${FOLDERS[0]}")
  { exec 8<"$above"; } 2>/dev/null || _folder_fail "cannot open $above to lock it" || exit
  flock -w 10 8 || _folder_fail "could not lock $above within 10 s" || exit
  "$@"
)

# Remove TMP, the temporary of a run killed before its rename: folders and a marker only.
_folder_clear() {
  [ -e "$1" ] || return 0
  find "$1" -depth \( -type d -o -name "$(basename -- "$CAPTURE_MARKER")" \) -delete 2>/dev/null
  [ ! -e "$1" ] || _folder_fail "$1 is left from an interrupted run and holds what the lab did not write: remove it by hand"
}

_folder_build() {
  local i=0 top tmp
  # Folders above the pcaps' one that appeared since the program decided (the common
  # parent another stack's capture made a moment ago, or the user's) are used as they are.
  while ((i < ${#FOLDERS[@]} - 1)) && [ -d "${FOLDERS[$i]}" ] && [ ! -L "${FOLDERS[$i]}" ]; do i=$((i + 1)); done
  top=${FOLDERS[$i]}
  if [ -e "$top" ] || [ -L "$top" ]; then
    # The pcaps' folder made by an earlier run (or a capture beside this one); anything else
    # appeared after the program decided to make it, and is not the lab's to fill or remove.
    _folder_marked || _folder_fail "$top appeared after the program chose to make it, so it is not the lab's: run up again to choose anew"
    return
  fi
  tmp="$(dirname -- "$top")/.$(basename -- "$top").calico-ipip-lab-new"
  _folder_clear "$tmp" || return 1
  if ! { mkdir -p -- "$tmp${FOLDERS[-1]#"$top"}" && printf '%s' "$CAPTURE_MARKER_TEXT" >"$tmp${CAPTURE_MARKER#"$top"}" && mv -T -- "$tmp" "$top"; }; then
    _folder_clear "$tmp"
    _folder_fail "cannot make ${FOLDERS[-1]}"
  fi
}

# capture_folder_make DIR: afterwards DIR, the pcaps' folder, exists. Re-runnable.
capture_folder_make() {
  _folders "$1" || return 1
  if [ "${#FOLDERS[@]}" -eq 0 ]; then
    [ -d "$1" ] || _folder_fail "$1 is not a folder (the lab was to use it as it is)"
    return
  fi
  _folder_locked _folder_build
}

_folder_unmake() {
  local i dir=${FOLDERS[-1]}
  _folder_marked || return 0
  [ -z "$(find "$dir" -mindepth 1 -maxdepth 1 ! -path "$CAPTURE_MARKER" -print -quit)" ] || return 0
  rm -f -- "$CAPTURE_MARKER" && rmdir -- "$dir" || { _folder_fail "cannot remove $dir"; return 1; }
  for ((i = ${#FOLDERS[@]} - 2; i >= 0; i--)); do rmdir -- "${FOLDERS[$i]}" 2>/dev/null || break; done
}

# capture_folder_release DIR: the folders the lab made go, innermost first, as far as they hold
# nothing else; a folder whose marker is not the given one stays. Tolerant of anything gone.
capture_folder_release() {
  _folders "$1" || return 1
  [ "${#FOLDERS[@]}" -gt 0 ] && [ -d "$(dirname -- "${FOLDERS[0]}")" ] || return 0
  _folder_locked _folder_unmake
}
