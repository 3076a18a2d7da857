"""Shared test settings: no test may reach anything but loopback."""

from __future__ import annotations

import os

# botocore must never look for credentials on the network (instance metadata, containers).
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _var in ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
    os.environ.pop(_var, None)
