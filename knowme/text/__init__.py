"""Language helpers shared by connectors, extraction and retrieval: names (folding, keys) and dates."""
