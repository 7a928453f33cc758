"""One module per node; each is a small async function returning only the keys it changes."""
