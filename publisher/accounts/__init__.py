"""Users, roles, offices and API tokens; who is acting and what office they may see."""
