"""Who may use the web app: user accounts, roles, password hashing, sign-in throttling, the access matrix."""
