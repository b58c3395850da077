"""Watchkeeper: incident management for Managed Service Providers."""

__version__ = "0.1.0"
