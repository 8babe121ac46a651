"""A deterministic local embedding for the tests: a bag of letters, L2-normalised (no network)."""
import math

DIMS = 26


def embed(texts):
    vectors = []
    for text in texts:
        counts = [0.0] * DIMS
        for char in text.lower():
            if "a" <= char <= "z":
                counts[ord(char) - ord("a")] += 1.0
        norm = math.sqrt(sum(c * c for c in counts)) or 1.0
        vectors.append([c / norm for c in counts])
    return vectors
