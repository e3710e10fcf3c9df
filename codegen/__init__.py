"""Code generation: contract in, files out. Imports nothing from registry.api or registry.storage."""
