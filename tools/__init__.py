"""Developer tools that generate the shipped data; not imported by the bot at run time."""
