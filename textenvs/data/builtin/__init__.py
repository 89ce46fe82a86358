"""Built-in datasets written for textenvs, and the generators that wrote them."""
