"""Resource kinds: one module per SES v2 kind."""
