"""The FAQ assistant: knowledge import (parsing only), embeddings, the Chroma + BM25 hybrid index, grounded answers,
intent routing and evaluation.

It takes and returns plain values and imports nothing from workflows but its Settings: the FAQ's system of record
(entries staff edit, feedback, unanswered questions) lives in workflows/faq/, and the composition root glues the two.
"""
