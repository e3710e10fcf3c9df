"""A corpus of real-world-shaped contracts of our own (configuration files, event payloads, envelopes), built
deterministically by `corpus()`; `sample(n)` is a fixed spread of n of them for fast tests."""

from tests.corpus.contracts import CorpusContract, corpus, sample

__all__ = ["CorpusContract", "corpus", "sample"]
