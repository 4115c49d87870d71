"""The repository index: what every module says (the scan), what its names mean, and its on-disk summary cache."""
