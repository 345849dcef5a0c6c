#!/usr/bin/env bash
# Installs the regcheck binary for the GitHub Action (action.yml), or for any CI that runs bash.
#
# It picks the release archive that matches the version and the platform, checks it against its
# SHA-256 sum, and unpacks the binary. Only when no archive fits (an unsupported platform, or a
# version with no release, such as an unreleased commit) does it build from source with
# `cargo install --locked`. A checksum that does not match, or an archive without a sum, is an
# error: nothing unverified is installed, and nothing falls back silently.
#
# Usage: install.sh [--plan]
#   --plan   only work out version, target and install folder (written to $GITHUB_OUTPUT), so
#            that the Action can restore its cache before installing.
#
# Environment (all optional):
#   REGCHECK_VERSION      version to install (default: the version in ../Cargo.toml, the Action's own)
#   REGCHECK_TARGET       platform triple (default: from RUNNER_OS/RUNNER_ARCH, else uname)
#   REGCHECK_RELEASE_URL  where the release's assets are: an https:// base URL, a file:// URL or a
#                         folder (default: the GitHub release v$VERSION of $REGCHECK_REPOSITORY)
#   REGCHECK_REPOSITORY   owner/name of the repository that publishes releases (default:
#                         $GITHUB_ACTION_REPOSITORY, else regcheck/regcheck)
#   REGCHECK_INSTALL_DIR  folder for the binary (default: $RUNNER_TOOL_CACHE, else ~/.cache,
#                         then regcheck/$VERSION/$TARGET)
#   REGCHECK_SOURCE_DIR   the crate to build when no archive fits (default: this repository)
#   REGCHECK_CARGO        the cargo command (default: cargo)
#
# Output: the folder holding the binary on standard output; with GitHub Actions also appended to
# $GITHUB_PATH, and `version`, `target`, `dir` and `source` (release, cache or cargo) written
# to $GITHUB_OUTPUT. Messages go to standard error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$here")

log() { printf 'regcheck-install: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# The version in the [package] table of a Cargo.toml.
cargo_version() {
    awk '/^\[/ { in_package = ($0 == "[package]") }
         in_package && /^version *= *"/ { sub(/^version *= *"/, ""); sub(/".*/, ""); print; exit }' "$1"
}

# The release's target triple for this runner, or nothing when there is no archive for it.
detect_target() {
    local os arch
    os=${RUNNER_OS:-$(uname -s)}
    arch=${RUNNER_ARCH:-$(uname -m)}
    case "$os" in
        Linux | linux) os=linux ;;
        macOS | Darwin | darwin) os=macos ;;
        Windows | MINGW* | MSYS* | CYGWIN*) os=windows ;;
        *) os=unknown ;;
    esac
    case "$arch" in
        X64 | x86_64 | amd64) arch=x86_64 ;;
        ARM64 | aarch64 | arm64) arch=aarch64 ;;
        *) arch=unknown ;;
    esac
    case "$os/$arch" in
        linux/x86_64) echo x86_64-unknown-linux-musl ;;
        linux/aarch64) echo aarch64-unknown-linux-musl ;;
        macos/x86_64) echo x86_64-apple-darwin ;;
        macos/aarch64) echo aarch64-apple-darwin ;;
        windows/x86_64) echo x86_64-pc-windows-msvc ;;
        *) echo "" ;;
    esac
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    else
        openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
    fi
}

# fetch NAME DEST: copies one asset of the release to DEST. Exit status 0 when fetched, 3 when
# the release has no such asset, 1 for any other failure.
fetch() {
    local name=$1 dest=$2 base=$release_url
    case "$base" in
        http://* | https://*)
            local status
            status=$(curl --silent --show-error --location --retry 3 --connect-timeout 20 \
                --output "$dest" --write-out '%{http_code}' "$base/$name") || return 1
            case "$status" in
                200) return 0 ;;
                404) return 3 ;;
                *) log "downloading $base/$name: HTTP $status"; return 1 ;;
            esac
            ;;
        *)
            base=${base#file://}
            [ -f "$base/$name" ] || return 3
            cp "$base/$name" "$dest"
            ;;
    esac
}

binary_name() {
    case "$1" in
        *windows*) echo regcheck.exe ;;
        *) echo regcheck ;;
    esac
}

# Records what was installed for the Action's later steps and prints the folder.
finish() {
    local source=$1
    if [ -n "${GITHUB_PATH:-}" ]; then
        local path_entry=$install_dir
        if command -v cygpath >/dev/null 2>&1; then
            path_entry=$(cygpath -w "$install_dir")
        fi
        echo "$path_entry" >>"$GITHUB_PATH"
    fi
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        {
            echo "version=$version"
            echo "target=${target:-none}"
            echo "dir=$install_dir"
            echo "source=$source"
        } >>"$GITHUB_OUTPUT"
    fi
    echo "$install_dir"
}

# Builds from source into the install folder: the one way in when no archive fits.
build_from_source() {
    local why=$1 cargo=${REGCHECK_CARGO:-cargo} source_dir=${REGCHECK_SOURCE_DIR:-$repo_root}
    log "$why; building regcheck $version from source with cargo install --locked (several minutes)"
    command -v "$cargo" >/dev/null 2>&1 ||
        die "$why, and cargo is not installed: add a Rust toolchain step before this one, or run on a platform with a release archive (Linux x86_64/aarch64, macOS x86_64/arm64, Windows x86_64)"
    [ -f "$source_dir/Cargo.toml" ] || die "$why, and $source_dir has no Cargo.toml to build from"
    local root
    root=$(mktemp -d)
    "$cargo" install --locked --quiet --path "$source_dir" --root "$root" ||
        die "cargo install --locked failed"
    mkdir -p "$install_dir"
    local bin
    for bin in regcheck regcheck.exe; do
        if [ -f "$root/bin/$bin" ]; then
            mv "$root/bin/$bin" "$install_dir/$bin"
        fi
    done
    rm -rf "$root"
    [ -x "$install_dir/regcheck" ] || [ -f "$install_dir/regcheck.exe" ] ||
        die "cargo install produced no regcheck binary"
    echo cargo >"$install_dir/.regcheck-source"
    finish cargo
}

plan_only=false
case "${1:-}" in
    --plan) plan_only=true ;;
    "") ;;
    *) die "unknown argument '$1' (usage: install.sh [--plan])" ;;
esac

version=${REGCHECK_VERSION:-}
if [ -z "$version" ]; then
    [ -f "$repo_root/Cargo.toml" ] || die "REGCHECK_VERSION is not set and $repo_root/Cargo.toml does not exist"
    version=$(cargo_version "$repo_root/Cargo.toml")
    [ -n "$version" ] || die "no version in $repo_root/Cargo.toml"
fi
case "$version" in
    [0-9]*.[0-9]*.[0-9]*) ;;
    *) die "'$version' is not a version (expected something like 0.1.0)" ;;
esac
target=${REGCHECK_TARGET:-$(detect_target)}
cache_root=${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}
install_dir=${REGCHECK_INSTALL_DIR:-$cache_root/regcheck/$version/${target:-source}}
repository=${REGCHECK_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-regcheck/regcheck}}
release_url=${REGCHECK_RELEASE_URL:-${GITHUB_SERVER_URL:-https://github.com}/$repository/releases/download/v$version}
release_url=${release_url%/}

if $plan_only; then
    if [ -n "${GITHUB_OUTPUT:-}" ]; then
        {
            echo "version=$version"
            echo "target=${target:-none}"
            echo "dir=$install_dir"
        } >>"$GITHUB_OUTPUT"
    fi
    printf 'version=%s\ntarget=%s\ndir=%s\n' "$version" "${target:-none}" "$install_dir"
    exit 0
fi

# A binary from an earlier run (the Action's cache) is used when it is that version's release.
binary=$(binary_name "${target:-unknown}")
if [ -f "$install_dir/$binary" ] && [ "$(cat "$install_dir/.regcheck-source" 2>/dev/null)" = release ] &&
    [ "$("$install_dir/$binary" --version 2>/dev/null)" = "regcheck $version" ]; then
    log "regcheck $version for $target is already installed in $install_dir"
    finish cache
    exit 0
fi

if [ -z "$target" ]; then
    build_from_source "no release archive for this platform (${RUNNER_OS:-$(uname -s)} ${RUNNER_ARCH:-$(uname -m)})"
    exit 0
fi

case "$target" in
    *windows*) archive="regcheck-$version-$target.zip" ;;
    *) archive="regcheck-$version-$target.tar.gz" ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

log "fetching $archive from $release_url"
status=0
fetch "$archive" "$work/$archive" || status=$?
case "$status" in
    0) ;;
    3)
        build_from_source "the release v$version has no $archive"
        exit 0
        ;;
    *) die "could not download $release_url/$archive" ;;
esac
status=0
fetch "$archive.sha256" "$work/$archive.sha256" || status=$?
case "$status" in
    0) ;;
    3) die "the release v$version has $archive but no $archive.sha256: refusing to install an archive that cannot be verified" ;;
    *) die "could not download $release_url/$archive.sha256" ;;
esac

expected=$(tr -d '\r' <"$work/$archive.sha256" | awk 'NR == 1 { print tolower($1) }')
actual=$(sha256_of "$work/$archive")
case "$expected" in
    [0-9a-f]*) [ "${#expected}" -eq 64 ] || die "$archive.sha256 does not hold a SHA-256 sum" ;;
    *) die "$archive.sha256 does not hold a SHA-256 sum" ;;
esac
[ "$expected" = "$actual" ] ||
    die "checksum mismatch for $archive: expected $expected, got $actual; refusing to install it"
log "checksum verified: $actual"

mkdir -p "$work/unpacked"
case "$archive" in
    *.zip)
        if command -v unzip >/dev/null 2>&1; then
            unzip -q "$work/$archive" -d "$work/unpacked"
        else
            tar -xf "$work/$archive" -C "$work/unpacked"
        fi
        ;;
    *) tar -xzf "$work/$archive" -C "$work/unpacked" ;;
esac
found=$(find "$work/unpacked" -type f -name "$binary" -print -quit)
[ -n "$found" ] || die "$archive holds no $binary"
mkdir -p "$install_dir"
mv "$found" "$install_dir/$binary"
chmod +x "$install_dir/$binary"
echo release >"$install_dir/.regcheck-source"
log "installed regcheck $version ($target) in $install_dir"
finish release
