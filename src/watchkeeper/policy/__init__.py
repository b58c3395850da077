"""The MSP's written incident-management policy as data: categories, matrix, severities."""
