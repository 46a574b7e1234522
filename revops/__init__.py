"""revops: forecasting and territory-planning optimisation for RevOps teams."""

__version__ = "0.1.0"
