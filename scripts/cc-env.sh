# Sourced by scripts/test.sh, scripts/demo.sh and .ci/run (not run): routes C/C++ compiles through ccache.
#
# Why: `cargo test` and `cargo clippy` each run librocksdb-sys's build script (their host
# units are fingerprinted differently), so the 329 RocksDB C++ objects were compiled twice in
# one CI run: 908 s for the tests plus 1246 s again for clippy, measured cold on 2 cores. The
# two compile commands are identical, so the second build is all ccache hits. scripts/setup.sh
# installs ccache; without it this file changes nothing.
#
# Run cargo by hand with the same environment (`. scripts/cc-env.sh`), or librocksdb-sys's
# build script sees a different CC and compiles RocksDB again.
if command -v ccache >/dev/null 2>&1; then
    export CC="ccache cc" CXX="ccache c++"
    # The build script's working directory is the same in both builds, but say it anyway:
    # absolute paths must not split the cache between clones in different folders.
    export CCACHE_NOHASHDIR=1
fi

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
