"""What the three services and the gateway really share."""
