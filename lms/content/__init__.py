"""Training content: the YAML contract (schema) and loading it into the database (store)."""
