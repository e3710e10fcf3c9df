"""Pure domain: contracts, versions, names and errors. Imports no framework and does no I/O."""
