extensions = ["myst_parser", "claimrole"]
