"""Reporting (issue 13): report documents (``documents/``), their delivery to MOFCOM and the
provincial platforms (``targets/``, ``deliveries/``)."""
