"""Commands: pakta and the options shared by document commands."""
