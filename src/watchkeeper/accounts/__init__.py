"""Who signs in: users, roles, teams, API tokens, two-factor and login throttling."""
