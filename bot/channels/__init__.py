"""Channel adapters: each one turns the core's message types into one platform's API calls."""
