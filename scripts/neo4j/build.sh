#!/usr/bin/env bash
# Builds the local Neo4j launcher: resolves Neo4j Community from Maven Central, compiles
# Neo4jLauncher and writes, under scripts/neo4j/target/:
#   neo4j-launcher.jar  the compiled launcher
#   classpath.txt       the Neo4j runtime classpath (jars in the local Maven repository)
#   java-home.txt       the JDK 17 (or 21) it was built with, which must also run it
#   neo4j-launcher.jsa  a class-data-sharing archive recorded from one warm-up run; starting
#                       with -XX:SharedArchiveFile=it takes about a third less time and CPU
# Idempotent: when those are newer than the sources, the JDK and every jar are still there
# it returns at once without starting Maven. NEO4J_LAUNCHER_REBUILD=1 forces a rebuild.
set -euo pipefail
cd "$(dirname "$0")"

# Absolute: the class-data-sharing archive records the class path and only matches a JVM
# started with the same paths, from whatever working directory.
TARGET="$(pwd)/target"
STAMP="$TARGET/build.stamp"
LAUNCHER_JAR="$TARGET/neo4j-launcher.jar"
CDS_ARCHIVE="$TARGET/neo4j-launcher.jsa"
LAUNCHER_CLASS=interviewgraph.neo4j.Neo4jLauncher
SOURCES=(pom.xml build.sh src/main/java/interviewgraph/neo4j/Neo4jLauncher.java)

log() { echo "[neo4j-build] $*" >&2; }

# Prints the major version of the JDK at $1 (e.g. 17), or nothing if it is not a JDK.
jdk_major() {
  [ -x "$1/bin/javac" ] && [ -x "$1/bin/java" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p'
}

# Finds a JDK that Neo4j 5 supports, preferring 17: $JAVA_HOME, then the usual install
# locations, then the javac on PATH.
find_jdk() {
  local candidates=() dir
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for dir in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home "$HOME"/.sdkman/candidates/java/*; do
    [ -d "$dir" ] && candidates+=("$dir")
  done
  if command -v javac >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")")
  fi
  local wanted candidate
  for wanted in 17 21; do
    for candidate in "${candidates[@]}"; do
      if [ "$(jdk_major "$candidate")" = "$wanted" ]; then
        readlink -f "$candidate"
        return 0
      fi
    done
  done
  return 1
}

is_up_to_date() {
  [ -z "${NEO4J_LAUNCHER_REBUILD:-}" ] || return 1
  [ -f "$STAMP" ] && [ -f "$TARGET/classpath.txt" ] && [ -f "$TARGET/java-home.txt" ] || return 1
  local source jar
  for source in "${SOURCES[@]}"; do
    [ "$source" -ot "$STAMP" ] || return 1
  done
  local jdk
  jdk=$(cat "$TARGET/java-home.txt")
  [ -x "$jdk/bin/java" ] && [ -f "$LAUNCHER_JAR" ] || return 1
  # A JDK update invalidates the class-data-sharing archive.
  [ "$jdk/lib/modules" -ot "$STAMP" ] || return 1
  while IFS= read -r -d ':' jar; do
    [ -f "$jar" ] || return 1
  done < <(cat "$TARGET/classpath.txt"; printf ':')
  return 0
}

# Starts the launcher once on a scratch database, runs its warm-up queries and records the
# classes it loaded. Optional: without the archive the server just starts slower.
record_cds_archive() {
  local scratch
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/neo4j-cds.XXXXXX")
  rm -f "$CDS_ARCHIVE"
  log "recording the class-data-sharing archive (one server start, ~20-40 s)"
  if ! "$JDK/bin/java" -Xmx1g -XX:ArchiveClassesAtExit="$CDS_ARCHIVE" -Xlog:cds=error \
      --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
      --add-opens=java.base/sun.nio.ch=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
      -cp "$LAUNCHER_JAR:$(cat "$TARGET/classpath.txt")" "$LAUNCHER_CLASS" \
      --home "$scratch" --warmup-and-exit --no-stdin-watch </dev/null >"$TARGET/cds.log" 2>&1; then
    log "warning: recording the archive failed (see $TARGET/cds.log); starts will be slower"
    rm -f "$CDS_ARCHIVE"
  fi
  rm -rf "$scratch"
}

# Two test runs starting at once must not build into the same directory concurrently.
mkdir -p "$TARGET"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$TARGET/.build.lock"
  flock 9
fi

if is_up_to_date; then
  exit 0
fi

if ! JDK=$(find_jdk); then
  log "no JDK 17 or 21 found (looked at \$JAVA_HOME, /usr/lib/jvm and javac on PATH)."
  log "Install one (Debian: apt-get install openjdk-17-jdk-headless) or set JAVA_HOME to it."
  exit 1
fi
if ! command -v mvn >/dev/null 2>&1; then
  log "Maven (mvn) is not on PATH; install it (Debian: apt-get install maven)."
  exit 1
fi

log "building with JDK $JDK (an empty Maven repository first downloads about 150 MB from Maven Central)"
rm -f "$STAMP"
if ! JAVA_HOME="$JDK" mvn -q -B compile >"$TARGET/maven.log" 2>&1; then
  tail -n 40 "$TARGET/maven.log" >&2
  log "Maven build failed in $(pwd) (full output: $TARGET/maven.log);"
  log "rerun 'JAVA_HOME=$JDK mvn -B compile' there to see the download and compile steps."
  exit 1
fi
"$JDK/bin/jar" --create --file "$LAUNCHER_JAR" -C "$TARGET/classes" .
printf '%s\n' "$JDK" >"$TARGET/java-home.txt"
record_cds_archive
touch "$STAMP"
log "done: $TARGET"
