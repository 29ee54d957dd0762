"""The pages of the assessments app, one module per sub-domain."""
