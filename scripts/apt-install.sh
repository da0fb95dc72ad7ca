# Sourced (not run) by the scripts that need Debian packages: `apt_install_missing pkg…`
# installs those of the named packages that are not installed yet, with sudo when not root,
# and does nothing when all are there.
apt_install_missing() {
    local missing=() p sudo_cmd=""
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    echo "installing: ${missing[*]}" >&2
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
}
