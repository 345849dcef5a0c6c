#!/usr/bin/env bash
# Packs one built regcheck binary into a release archive with its SHA-256 sum, under the names
# that action/install.sh looks for:
#
#   regcheck-VERSION-TARGET.tar.gz (Windows: .zip)   the binary, README.md, the man pages
#   regcheck-VERSION-TARGET.tar.gz.sha256            "<sha256>  <archive name>"
#
# Usage: package.sh VERSION TARGET BINARY OUT_DIR
# Used by .github/workflows/release.yml, and by the tests (tests/install.rs) to build a release
# folder for install.sh from the binary they just compiled.
set -euo pipefail

[ "$#" -eq 4 ] || { echo "usage: package.sh VERSION TARGET BINARY OUT_DIR" >&2; exit 2; }
version=$1 target=$2 binary=$3 out_dir=$4
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

[ -f "$binary" ] || { echo "package.sh: no binary at $binary" >&2; exit 1; }
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
name="regcheck-$version-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/man"

case "$target" in
    *windows*) exe=regcheck.exe ;;
    *) exe=regcheck ;;
esac
cp "$binary" "$stage/$name/$exe"
chmod +x "$stage/$name/$exe"
cp "$repo_root/README.md" "$stage/$name/"
# The man pages, when the binary runs here (not when cross-compiled for another platform).
if "$stage/$name/$exe" man --dir "$stage/$name/man" >/dev/null 2>&1; then
    :
else
    rmdir "$stage/$name/man" 2>/dev/null || true
fi

case "$target" in
    *windows*)
        archive="$name.zip"
        (cd "$stage" && if command -v 7z >/dev/null 2>&1; then 7z a -tzip -bd "$out_dir/$archive" "$name" >/dev/null; else zip -qr "$out_dir/$archive" "$name"; fi)
        ;;
    *)
        archive="$name.tar.gz"
        tar -C "$stage" -czf "$out_dir/$archive" "$name"
        ;;
esac

if command -v sha256sum >/dev/null 2>&1; then
    sum=$(sha256sum "$out_dir/$archive" | cut -d ' ' -f 1)
else
    sum=$(shasum -a 256 "$out_dir/$archive" | cut -d ' ' -f 1)
fi
printf '%s  %s\n' "$sum" "$archive" >"$out_dir/$archive.sha256"
echo "$out_dir/$archive"
