"""The registry: composite views over the services (a station's whole record, dashboards
against policy targets, cross-service gap lists), their exports, and the officials' page."""
