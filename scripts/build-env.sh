# Sourced (not run) by scripts/test.sh, scripts/demo.sh, scripts/idl.sh and .ci/run: the build
# environment they share, so that what one command compiled serves the next. To run cargo by
# hand on the same artifacts, source it first (`. scripts/build-env.sh`): with another CC or
# CXXFLAGS, librocksdb-sys's build script compiles RocksDB's C++ again and everything above it
# is rebuilt.

# One target directory outside the clone, so a fresh clone (CI) reuses what an earlier one
# compiled. Only the workspace's own crates are compiled again: their fingerprints include
# their path.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/basalt-target}"

# C and C++ are compiled with clang: RocksDB's 329 C++ files, most of a cold build's compiler
# time, took 12 % less CPU than with g++ at the same -O1 (docs/benchmarks.md).
# scripts/setup.sh installs it; without it the system's cc and c++ are used.
cc=cc cxx=c++
if command -v clang >/dev/null 2>&1 && command -v clang++ >/dev/null 2>&1; then
    cc=clang cxx=clang++
fi
# ccache serves C/C++ objects across target directories (a fresh one, the IDL build's own) and
# across commands that run librocksdb-sys's build script separately (`cargo clippy` by hand).
if command -v ccache >/dev/null 2>&1; then
    export CC="ccache $cc" CXX="ccache $cxx"
    # Absolute paths must not split the cache between clones in different folders.
    export CCACHE_NOHASHDIR=1
else
    export CC="$cc" CXX="$cxx"
fi
unset cc cxx

# RocksDB checksums every WAL record and block with CRC32C; its hardware path needs SSE4.2
# (and PCLMUL for the folding step) at compile time, and librocksdb-sys only passes those
# flags when rustc targets them, which the default x86-64 target does not. Pass them to the
# C++ compiler when this CPU has them (CI builds and runs on the same machine).
# Idempotent: sourcing twice must not change CXXFLAGS, or RocksDB is compiled again.
if grep -q ' sse4_2' /proc/cpuinfo 2>/dev/null && grep -q ' pclmulqdq' /proc/cpuinfo; then
    case " ${CXXFLAGS:-} " in
    *" -msse4.2 -mpclmul "*) ;;
    *) export CXXFLAGS="${CXXFLAGS:+$CXXFLAGS }-msse4.2 -mpclmul" ;;
    esac
fi

# `stage NAME COMMAND...` runs COMMAND and prints how long it took, so that a slow stage shows
# in every run's output.
stage() {
    local name=$1 start=$SECONDS status=0
    shift
    echo "==> $name" >&2
    "$@" || status=$?
    if [ "$status" -eq 0 ]; then
        echo "<== $name: $((SECONDS - start)) s" >&2
    else
        echo "<== $name: failed (exit $status) after $((SECONDS - start)) s" >&2
    fi
    return "$status"
}
