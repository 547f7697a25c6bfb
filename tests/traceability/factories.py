"""Valid identifiers for tests and benchmarks."""


def gbt_code(product_type: str = "P", serial: int = 1, *, manufacturer: str = "X12", battery_type: str = "E",
             spec: str = "PM", trace: str = "27KLPCL", date_code: str = "X2M") -> str:
    """A GB/T 34014 code: manufacturer, product type, battery type, spec, trace, date, 7-digit serial."""
    return f"{manufacturer}{product_type}{battery_type}{spec}{trace}{date_code}{serial:07d}"


def cascade_code(product_type: str = "P", serial: int = 1, *, original_type: str | None = None) -> str:
    """The 19-character cascade-use form: no traceability code, R + original product type at the end."""
    return f"X12{product_type}EPMX2M{serial:07d}R{original_type or product_type}"
