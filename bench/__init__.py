"""The benchmark suite: `python bench/run.py [--quick|--full]`. Importing these modules
starts nothing; servers are started by the functions that measure them."""
