"""Who may use the HTTP API: roles, login tokens, and the users that hold them."""
