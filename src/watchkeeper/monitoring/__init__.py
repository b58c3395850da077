"""Active monitoring: checks the MSP runs against clients' services, and the alerts they raise."""
