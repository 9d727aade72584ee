"""Stub: replaced by the packer (unpacked solution folder -> exported zip)."""
