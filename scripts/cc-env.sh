# Sourced by scripts/test.sh and .ci/run (not run): routes C/C++ compiles through ccache.
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
