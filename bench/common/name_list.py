"""An argparse type for a comma-separated subset of known names (`--splits`, `--strategies`, ...)."""


def name_list(allowed):
    """A parser of `"a,b"` into `["a", "b"]`, each one of `allowed`.

    >>> name_list(("bbc", "wnut"))("wnut, bbc")
    ['wnut', 'bbc']
    """
    def parse(text: str):
        names = [n.strip() for n in text.split(",") if n.strip()]
        if not names or set(names) - set(allowed):
            raise ValueError(f"expected a comma-separated subset of {list(allowed)}. Received: {text!r}")
        return names

    parse.__name__ = "list"
    return parse
