"""The gate app's Qt window over :class:`scanner_app.core.ScannerCore`."""
