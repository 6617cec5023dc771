# shellcheck shell=bash
# packages_for GROUP RELEASE: the package names of scripts/packages.txt for that group on that
# release, one per line. Sourced by scripts/setup.sh and scripts/pristine-setup.
packages_for() {
  awk -v group="$1" -v release="$2" '
    /^[[:space:]]*(#|$)/ { next }
    $1 != group { next }
    NF == 2 { print $2; next }
    { for (i = 3; i <= NF; i++) if ($i == release) { print $2; next } }
  ' "$(dirname "${BASH_SOURCE[0]}")/packages.txt"
}
