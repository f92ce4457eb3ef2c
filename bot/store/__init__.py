"""Case stores: SQLite (one host) by default, DynamoDB for several instances."""
