"""d365lint: offline static analysis for Dynamics 365 / Dataverse solutions."""

__version__ = "0.1.0"
