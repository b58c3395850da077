"""Realistic demo data for a fictional MSP (idempotent)."""

from watchkeeper.demo.load import demo_load

__all__ = ["demo_load"]
