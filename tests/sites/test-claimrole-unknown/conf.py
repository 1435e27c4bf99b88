extensions = [
    "myst_nb",
    "claimrole",
]  # as the book: myst_parser and myst_nb apps do not mix in one process
