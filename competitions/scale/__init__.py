"""Scale data for benchmarks (issue 17): one province of a million workers, ten thousand
organisations and three years of competitions and drills, generated from a seed and written by
bulk inserts. Not real data and not audited row by row: a scale database is for benchmarks
only (docs/evaluation.md, "Scale")."""
