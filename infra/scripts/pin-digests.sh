#!/bin/sh
# Pins every third-party container image of the manifests to its digest, at release
# time, on a machine that can reach the registries (docs/security.md, "Images"):
#
#   infra/scripts/pin-digests.sh            rewrite `image: postgres:16-alpine` to
#                                           `image: postgres:16-alpine@sha256:…` in place
#   infra/scripts/pin-digests.sh --check    list the images without a digest; exit 1 if any
#   infra/scripts/pin-digests.sh [--check] FILE…   only these files
#
# Default files: infra/compose.yaml and every YAML file under infra/k8s. GitTix's own
# images (`gittix/…`) are left alone: the overlays' `images:` and CD set those (a
# `sha-<commit>` tag or a digest). An image tagged `:latest`, or with no tag at all,
# is refused: pin a version first, then its digest. The tag stays next to the digest
# for people; the runtime pulls by the digest.
#
# The digest comes from, in this order: $DIGEST_RESOLVER (a command given the image,
# printing `sha256:…`; the tests use a fake one), `crane digest`, or
# `docker buildx imagetools inspect`. Nothing is invented: a lookup that fails stops
# the script before it changes the file.
set -eu

check=false
if [ "${1:-}" = "--check" ]; then
  check=true
  shift
fi

root="$(cd "$(dirname "$0")/../.." && pwd)"
if [ "$#" -eq 0 ]; then
  set -- "$root/infra/compose.yaml"
  for file in $(find "$root/infra/k8s" -name '*.yaml' | sort); do set -- "$@" "$file"; done
fi

resolve() {
  if [ -n "${DIGEST_RESOLVER:-}" ]; then
    $DIGEST_RESOLVER "$1"
  elif command -v crane >/dev/null 2>&1; then
    crane digest "$1"
  elif command -v docker >/dev/null 2>&1; then
    docker buildx imagetools inspect --format '{{json .Manifest}}' "$1" |
      sed -n 's/.*"digest":[[:space:]]*"\(sha256:[0-9a-f]\{64\}\)".*/\1/p' | head -n 1
  else
    echo "pin-digests: need crane or docker (buildx) to read digests" >&2
    return 1
  fi
}

# The image references of a file: `image: <ref>` lines (and CloudNativePG's
# `imageName: <ref>`, prod's PostgreSQL), quotes stripped, variables skipped.
images_of() {
  sed -n 's/^[[:space:]-]*image\(Name\)\{0,1\}:[[:space:]]*["'"'"']\{0,1\}\([^"'"'"'[:space:]#]*\).*/\2/p' "$1" |
    grep -v '\$' | grep -v '^gittix/' || true
}

unpinned=0
for file in "$@"; do
  for image in $(images_of "$file" | sort -u); do
    case "$image" in
      *@sha256:*) continue ;;
    esac
    name="${image%%@*}"
    last="${name##*/}"
    case "$last" in
      *:latest)
        echo "pin-digests: $file: $image is :latest; pin a version first" >&2
        exit 2
        ;;
      *:*) ;;
      *)
        echo "pin-digests: $file: $image has no tag; pin a version first" >&2
        exit 2
        ;;
    esac
    if $check; then
      echo "$file: $image"
      unpinned=$((unpinned + 1))
      continue
    fi
    digest="$(resolve "$image")" || {
      echo "pin-digests: could not read the digest of $image" >&2
      exit 1
    }
    if ! printf '%s' "$digest" | grep -Eq '^sha256:[0-9a-f]{64}$'; then
      echo "pin-digests: $image: not a digest: '$digest'" >&2
      exit 1
    fi
    # Only the exact reference after `image:` (`imageName:`) changes (the dots of the tag escaped).
    pattern="$(printf '%s' "$image" | sed 's/[].[\/*^$]/\\&/g')"
    replacement="$(printf '%s' "$image@$digest" | sed 's/[&/\]/\\&/g')"
    tmp="$(mktemp)"
    sed "s/\(image\(Name\)\{0,1\}:[[:space:]]*[\"']\{0,1\}\)$pattern\([\"'[:space:]]\|\$\)/\1$replacement\3/" \
      "$file" >"$tmp"
    cat "$tmp" >"$file"
    rm -f "$tmp"
    echo "pinned $image@$digest in $file"
  done
done

if $check && [ "$unpinned" -gt 0 ]; then
  echo "pin-digests: $unpinned image reference(s) without a digest" >&2
  exit 1
fi
