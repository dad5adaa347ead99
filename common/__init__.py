"""What the services and the gateway really share."""
