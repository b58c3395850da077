"""The MSP's own brand (name, logo, accent colour, support contacts) shown to its clients."""
