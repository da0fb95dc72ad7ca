"""The S3 gateway as the AWS CLI and rclone see it (run by app-tests/tests/s3_gateway.rs
after boto3_suite.py): `aws s3 cp` up and down (multipart above 8 MiB, ranged parallel
reads), `aws s3 ls` and `rm`; rclone `copy` and `check` of a directory tree of mixed sizes,
both ways. Then prints, as its last line, every object left in every bucket (size and
ETag) for the Rust side to compare with the wallet's blobs on chain.

Usage: python cli_suite.py ENDPOINT ACCESS_KEY SECRET_KEY WORK_DIR
"""

import os
import subprocess
import sys

from common import ACCESS_KEY, ENDPOINT, SECRET_KEY, check, print_left

WORK = sys.argv[4]
VENV_BIN = os.path.dirname(sys.executable)

aws_config = os.path.join(WORK, "aws-config")
with open(aws_config, "w") as f:
    f.write("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n")
aws_env = dict(
    os.environ,
    AWS_ACCESS_KEY_ID=ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY=SECRET_KEY,
    AWS_CONFIG_FILE=aws_config,
    AWS_SHARED_CREDENTIALS_FILE=os.path.join(WORK, "no-credentials"),
)


def aws(*args):
    # As for boto3 (common.py): a PUT is answered once stored and registered.
    cmd = [os.path.join(VENV_BIN, "aws"), "--endpoint-url", ENDPOINT, "--cli-read-timeout", "600", *args]
    done = subprocess.run(cmd, env=aws_env, capture_output=True, text=True, timeout=600)
    check(f"aws {' '.join(args)}", done.returncode == 0, done.stderr[-2000:])
    return done.stdout


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# The AWS CLI: a 20 MiB file goes up in 8 MiB parts and comes down in ranged GETs.
aws("s3", "mb", "s3://cli")
big = os.urandom(20 << 20)
write(os.path.join(WORK, "up", "big.bin"), big)
write(os.path.join(WORK, "up", "small.txt"), b"small file\n")
aws("s3", "cp", os.path.join(WORK, "up", "big.bin"), "s3://cli/dir/big.bin")
aws("s3", "cp", os.path.join(WORK, "up", "small.txt"), "s3://cli/dir/small.txt")
listing = aws("s3", "ls", "s3://cli/dir/")
check("aws s3 ls", "big.bin" in listing and "small.txt" in listing, listing)
aws("s3", "cp", "s3://cli/dir/big.bin", os.path.join(WORK, "down", "big.bin"))
check("aws s3 cp down byte-exact (20 MiB, multipart)", read(os.path.join(WORK, "down", "big.bin")) == big)
aws("s3", "cp", "--recursive", "s3://cli/dir/", os.path.join(WORK, "down", "tree"))
check("aws s3 cp --recursive", read(os.path.join(WORK, "down", "tree", "small.txt")) == b"small file\n")
aws("s3", "rm", "s3://cli/dir/small.txt")
check("aws s3 rm", "small.txt" not in aws("s3", "ls", "s3://cli/dir/"))

# rclone: a tree of mixed sizes up, checked, down, checked.
tree = os.path.join(WORK, "tree")
sizes = {"a.txt": 0, "b.bin": 1, "docs/c.md": 4096, "docs/deep/d.bin": 3 << 20, "e.bin": 9 << 20 | 123}
for name, size in sizes.items():
    write(os.path.join(tree, name), os.urandom(size))
rclone_env = dict(
    os.environ,
    RCLONE_CONFIG_BASALT_TYPE="s3",
    RCLONE_CONFIG_BASALT_PROVIDER="Other",
    RCLONE_CONFIG_BASALT_ENDPOINT=ENDPOINT,
    RCLONE_CONFIG_BASALT_ACCESS_KEY_ID=ACCESS_KEY,
    RCLONE_CONFIG_BASALT_SECRET_ACCESS_KEY=SECRET_KEY,
    RCLONE_CONFIG_BASALT_REGION="us-east-1",
    RCLONE_CONFIG_BASALT_FORCE_PATH_STYLE="true",
    # The remote is wholly in the environment; no configuration file is read.
    RCLONE_CONFIG="/dev/null",
)

# rclone's AWS SDK refuses a CA bundle with its own HTTP transport ("LoadCustomCABundleError");
# the gateway is plain HTTP on this machine, so no bundle is needed.
rclone_env.pop("AWS_CA_BUNDLE", None)


def rclone(*args):
    done = subprocess.run(["rclone", *args], env=rclone_env, capture_output=True, text=True, timeout=600)
    check(f"rclone {' '.join(args)}", done.returncode == 0, done.stderr[-2000:])


rclone("mkdir", "basalt:trees")
rclone("copy", tree, "basalt:trees/t")
rclone("check", tree, "basalt:trees/t")
back = os.path.join(WORK, "tree-back")
rclone("copy", "basalt:trees/t", back)
rclone("check", tree, back)

print_left()
