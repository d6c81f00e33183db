#!/usr/bin/env bash
# Builds real Nacos servers from source and lays each out the way the official image
# (nacos/nacos-server:v<version>) does, cached under ~/.cache/nacos-operator/nacos/<version>/:
#
#   target/nacos-server.jar      the server fat jar (console module on 2.x, bootstrap on 3.x)
#   conf/                        the image's application.properties; the distribution's
#                                nacos-logback.xml, schema SQL and other conf files
#   bin/docker-startup.sh        the image's entrypoint script
#   Dockerfile                   the image's Dockerfile, whose ENV lines are the container's defaults
#
# Usage: hack/nacos-server.sh [VERSION[=SOURCE] ...]    (default: $NACOS_VERSIONS or "2.4.3 2.5.1 3.0.3")
#   SOURCE is an upstream source archive (git archive or GitHub "Source code" tar.gz), a release
#   archive (nacos-server-<v>.tar.gz, already built), a source directory, or an http(s) URL of
#   either. Without it: $NACOS_SRC_DIR/nacos-<v>.tar.gz (default ../shared/nacos-src).
#   The image's files come from $NACOS_IMAGE_DIR (default $NACOS_SRC_DIR/image-<v>/), which is a
#   checkout of nacos-group/nacos-docker's build/ directory at tag v<v>.
# Prints one line per version: the laid-out directory. Idempotent; a finished tree is reused.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
CACHE_ROOT="${NACOS_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nacos-operator}"
# The shared source directory sits beside the checkout; a clone elsewhere on the same machine
# finds it at its usual place.
if [[ -n "${NACOS_SRC_DIR:-}" ]]; then
  SRC_DIR="$NACOS_SRC_DIR"
else
  SRC_DIR="$ROOT/../shared/nacos-src"
  for d in "$ROOT/../shared/nacos-src" "$ROOT/../../shared/nacos-src" /work/shared/nacos-src; do
    [[ -d "$d" ]] && { SRC_DIR="$d"; break; }
  done
fi
MAVEN_REPO="${NACOS_MAVEN_REPO:-$CACHE_ROOT/maven-repo}"

log() { echo "nacos-server: $*" >&2; }
die() { log "$*"; exit 1; }

# sha256 of the upstream tag archives we know (git archive of alibaba/nacos at the tag).
known_sha256() {
  case "$1" in
    2.4.3) echo d1f59545133f0c36843eb3c49a04c3771ff770ad83831a8d00848e3987fa7bf7 ;;
    2.5.1) echo 5c125f680b1851700488934de2a36546e84dd77ae6a688d9c9f7c3aa80900c13 ;;
    3.0.3) echo 79cf31824608d6e3d62a4601a45eaddbff9a1fd5f0cd202ab70fec96cb8c43d7 ;;
  esac
}

java_major() {
  command -v java >/dev/null || return 1
  java -version 2>&1 | sed -E -n 's/.* version "(1\.)?([0-9]+).*/\2/p' | head -1
}

need_tools() {
  local version="$1" want=8 major
  [[ "$version" == 3.* ]] && want=17
  major="$(java_major)" || die "java is not installed: Nacos $version needs a JDK $want or newer (apt-get install openjdk-17-jdk-headless)"
  ((major >= want)) || die "java $major is too old: Nacos $version needs a JDK $want or newer"
  command -v mvn >/dev/null || die "mvn is not installed: building Nacos from source needs Maven 3.6+ (apt-get install maven)"
}

# fetch_source VERSION SOURCE WORKDIR -> prints a local path (file or directory)
fetch_source() {
  local version="$1" source="$2" work="$3"
  case "$source" in
    http://* | https://*)
      command -v curl >/dev/null || die "curl is needed to download $source"
      log "downloading $source"
      curl -fsSL --retry 3 -o "$work/download.tar.gz" "$source" || die "cannot download $source"
      echo "$work/download.tar.gz" ;;
    *)
      [[ -e "$source" ]] || die "no source for Nacos $version at $source: pass VERSION=PATH-or-URL of the upstream source or release archive (see docs/real-nacos.md)"
      echo "$source" ;;
  esac
}

check_sha256() {
  local version="$1" file="$2" want got
  want="${NACOS_SHA256:-$(known_sha256 "$version")}"
  got="$(sha256sum "$file" | cut -d' ' -f1)"
  if [[ -z "$want" ]]; then
    log "no known sha256 for $version; $file has $got (set NACOS_SHA256 to enforce one)"
  elif [[ "$got" != "$want" ]]; then
    # A GitHub "Source code" archive differs from git archive only by compression; a release
    # archive differs entirely: accept neither silently for a version we know.
    [[ -n "${NACOS_SHA256:-}" || "$(basename "$file")" == "nacos-$version.tar.gz" ]] &&
      die "sha256 mismatch for $file: got $got, want $want"
    log "note: $file is not the known tag archive of $version (sha256 $got); using it as given"
  fi
  echo "$got"
}

# build VERSION SRC_TREE OUT: the fat jar into OUT/target, the distribution conf into OUT/dist-conf
build_tree() {
  local version="$1" tree="$2" out="$3" module=console started
  [[ "$version" == 3.* ]] && module=bootstrap
  [[ -f "$tree/pom.xml" ]] || die "$tree has no pom.xml: not a Nacos source tree"
  log "building Nacos $version (-pl $module -am; 1-3 minutes on 2 cores, longer with an empty Maven repository)"
  started=$SECONDS
  if ! (cd "$tree" && mvn -B -q -Dmaven.repo.local="$MAVEN_REPO" -Prelease-nacos -DskipTests -Dmaven.test.skip=true \
      -Drat.skip=true -Dcheckstyle.skip=true -Dpmd.skip=true -Djacoco.skip=true -pl "$module" -am package) \
      >"$out/build.log" 2>&1; then
    tail -40 "$out/build.log" >&2
    die "maven build of Nacos $version failed (full log: $out/build.log)"
  fi
  mkdir -p "$out/target"
  cp "$tree/$module/target/nacos-server.jar" "$out/target/nacos-server.jar"
  cp -R "$tree/distribution/conf" "$out/dist-conf"
  echo "build_seconds=$((SECONDS - started))" >>"$out/BUILD"
}

one() {
  local version="${1%%=*}" source="" out partial work path sum image
  [[ "$1" == *=* ]] && source="${1#*=}"
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "not a Nacos version: $version"
  out="$CACHE_ROOT/nacos/$version"
  if [[ -f "$out/.complete" ]]; then
    echo "$out"
    return
  fi
  image="${NACOS_IMAGE_DIR:-$SRC_DIR/image-$version}"
  for f in bin/docker-startup.sh conf/application.properties Dockerfile; do
    [[ -f "$image/$f" ]] || die "missing $image/$f: the image's files come from nacos-group/nacos-docker build/ at tag v$version (set NACOS_IMAGE_DIR)"
  done
  need_tools "$version"
  source="${source:-$SRC_DIR/nacos-$version.tar.gz}"
  partial="$out.partial"
  rm -rf "$partial" && mkdir -p "$partial"
  work="$(mktemp -d "${TMPDIR:-/tmp}/nacos-server-build.XXXXXX")"
  WORKDIRS+=("$work")
  path="$(fetch_source "$version" "$source" "$work")"
  if [[ -d "$path" ]]; then
    echo "source=$path (directory)" >"$partial/BUILD"
    build_tree "$version" "$path" "$partial"
  else
    sum="$(check_sha256 "$version" "$path")"
    echo "source=$source sha256=$sum" >"$partial/BUILD"
    tar -xzf "$path" -C "$work" || die "cannot unpack $path"
    local top
    top="$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)"
    if [[ -f "$top/target/nacos-server.jar" ]]; then # a release archive: nacos/target, nacos/conf
      mkdir -p "$partial/target"
      cp "$top/target/nacos-server.jar" "$partial/target/"
      cp -R "$top/conf" "$partial/dist-conf"
    else
      build_tree "$version" "$top" "$partial"
    fi
  fi
  # conf/ as the image's Dockerfile leaves it: the distribution's files without *.properties,
  # *.example and nacos-mysql.sql, plus the image's application.properties.
  mkdir -p "$partial/conf" "$partial/bin"
  (cd "$partial/dist-conf" && for f in *; do
    case "$f" in *.properties | *.example | nacos-mysql.sql) continue ;; esac
    cp -R "$f" "$partial/conf/"
  done)
  cp "$image/conf/application.properties" "$partial/conf/application.properties"
  cp "$image/bin/docker-startup.sh" "$partial/bin/docker-startup.sh"
  cp "$image/Dockerfile" "$partial/Dockerfile" # its ENV lines are the container's env defaults
  chmod +x "$partial/bin/docker-startup.sh"
  [[ -s "$partial/target/nacos-server.jar" && -f "$partial/conf/nacos-logback.xml" ]] || die "incomplete layout in $partial"
  rm -rf "$out" && mv "$partial" "$out" && touch "$out/.complete"
  log "Nacos $version ready in $out ($(grep -h build_seconds "$out/BUILD" 2>/dev/null || echo 'no build needed'))"
  echo "$out"
}

WORKDIRS=()
trap 'rm -rf "${WORKDIRS[@]}"' EXIT
versions=("$@")
((${#versions[@]} > 0)) || read -r -a versions <<<"${NACOS_VERSIONS:-2.4.3 2.5.1 3.0.3}"
for v in "${versions[@]}"; do one "$v"; done
